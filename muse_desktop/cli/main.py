"""Entry point of the `muse-desktop` command."""

from __future__ import annotations

import argparse
import logging
import sys

from muse_desktop import __version__
from muse_desktop.cli.errors import CommandError
from muse_desktop.cli.generate import add_generate_parser
from muse_desktop.cli.models_commands import add_models_parser
from muse_desktop.cli.self_test import SELF_TEST_TOKENS, run_self_test

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
    parser.add_argument(
        "--self-test", action="store_true",
        help=f"check the llama.cpp library, the Qt platform plugin and the embedded model by generating "
        f"{SELF_TEST_TOKENS} tokens with the Muse; prints the backend and tokens per second, and exits "
        "non-zero with the missing part named on failure",
    )
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
    handler = run_self_test if args.self_test else getattr(args, "handler", None)
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
