"""Turning token bytes into text that is safe to show: whole UTF-8 characters, no stop strings."""

from __future__ import annotations

import codecs
from collections.abc import Iterable


class TextStream:
    """Assemble streamed token pieces into text, holding back what a stop string might still claim.

    A multi-byte UTF-8 character split across tokens is released once, whole. Bytes that are not
    valid UTF-8 become U+FFFD. Text that could be the start of a stop string is held back until
    the next piece shows whether it is, so no character of a stop string ever reaches the caller,
    even when the stop string spans several tokens.
    """

    def __init__(self, stop_strings: Iterable[str] = ()) -> None:
        self.stop_strings = tuple(stop for stop in stop_strings if stop)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self.stopped_by: str | None = None

    def push(self, piece: bytes) -> str:
        """Add one token's bytes and return the text that can be released now.

        After a stop string is found, ``stopped_by`` names it and nothing more is released.
        """
        if self.stopped_by is not None:
            return ""
        self._pending += self._decoder.decode(piece)

        found_at, found = -1, None
        for stop in self.stop_strings:
            index = self._pending.find(stop)
            if index != -1 and (found_at == -1 or index < found_at):
                found_at, found = index, stop
        if found is not None:
            released = self._pending[:found_at]
            self._pending = ""
            self.stopped_by = found
            return released

        held = self._held_back_length()
        released = self._pending[: len(self._pending) - held]
        self._pending = self._pending[len(self._pending) - held :]
        return released

    def finish(self) -> str:
        """Return what is still held back, at the end of a generation that no stop string ended."""
        if self.stopped_by is not None:
            return ""
        released = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        return released

    def _held_back_length(self) -> int:
        longest = 0
        for stop in self.stop_strings:
            for length in range(min(len(stop) - 1, len(self._pending)), longest, -1):
                if self._pending.endswith(stop[:length]):
                    longest = length
                    break
        return longest
