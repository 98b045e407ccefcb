"""The error type that command handlers raise for a one-line message and an exit code."""


class CommandError(Exception):
    """A failure to report as one line on stderr, with ``exit_code`` (2 for invalid usage)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
