import sys

from muse_desktop.cli.main import main

sys.exit(main())
