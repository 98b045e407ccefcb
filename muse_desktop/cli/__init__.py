"""The command line: `muse-desktop generate`, `muse-desktop models ...`, and the app launcher."""
