"""Entry point of the `muse-desktop` command."""

from __future__ import annotations

import argparse
import logging
import sys

from muse_desktop import __version__
from muse_desktop.cli.errors import CommandError
from muse_desktop.cli.generate import add_generate_parser
from muse_desktop.cli.models_commands import add_models_parser

PROGRAM = "muse-desktop"


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are a single line on stderr, without the usage text."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog=PROGRAM,
        description="Muse Desktop: continue stories with a local model and the Muse sampler. "
        "Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=OneLineErrorParser)
    add_generate_parser(subparsers)
    add_models_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format=f"{PROGRAM}: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    handler = getattr(args, "handler", None)
    if handler is None:
        from muse_desktop.app.launcher import run_app

        return run_app()
    try:
        return handler(args)
    except CommandError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        # The reader of stdout went away (for example `| head`); nothing more to report.
        sys.stderr.close()
        return 1


if __name__ == "__main__":
    sys.exit(main())
