"""Tokenizing a story again after it grew: only its new end goes through the tokenizer."""

from __future__ import annotations

from collections.abc import Callable

# The new text is tokenized from this many tokens before the end of the cached text. The last
# cached tokens may merge with the added text (" sea" + "s" becomes " seas"), so the cut sits
# well before the join.
OVERLAP_TOKENS = 16
# The window's first tokens must equal the cached tokens after the cut, which shows that the
# cut is a point where the tokenizer restarts in step with a whole-text tokenization.
AGREEING_TOKENS = 8


class StoryTokenizer:
    """Tokenize story text, reusing the tokens of the previous text when the new one starts with it.

    Writers continue a story many times, and each prompt contains the whole story again. Tokenizing
    thousands of tokens takes milliseconds that grow with the story, more than one token of a
    small model. When the new text starts with the previous one, only the part from
    ``OVERLAP_TOKENS`` tokens before the old end is tokenized. That window is used only when its
    first ``AGREEING_TOKENS`` tokens equal the old tokens there and the cached tokens spell
    exactly the cached bytes. Otherwise the whole text is tokenized, so a tokenizer that adds a
    space in front of every text (SentencePiece models) or splits differently always falls back.

    NOTE: Agreement over the first tokens of the window is strong evidence, not a proof, that
    the result equals a whole-text tokenization. Where they could differ, the tokens still spell
    exactly the story's bytes.
    """

    def __init__(self, tokenize: Callable[[bytes], list[int]], token_piece: Callable[[int], bytes]) -> None:
        self._tokenize = tokenize
        self._token_piece = token_piece
        self._text = b""
        self._tokens: list[int] = []
        # Tokens taken from the cache by the last call, for tests and diagnostics.
        self.reused_tokens = 0

    def tokenize(self, text: bytes) -> list[int]:
        """Return the tokens of ``text`` and remember them for the next call."""
        tokens = self._continue_previous(text)
        if tokens is None:
            self.reused_tokens = 0
            tokens = self._tokenize(text)
        self._text, self._tokens = text, tokens
        return list(tokens)

    def _continue_previous(self, text: bytes) -> list[int] | None:
        old_text, old_tokens = self._text, self._tokens
        if len(old_tokens) < 2 * OVERLAP_TOKENS or not text.startswith(old_text):
            return None
        if text == old_text:
            self.reused_tokens = len(old_tokens)
            return old_tokens

        cut = len(old_tokens) - OVERLAP_TOKENS
        tail = b"".join(self._token_piece(token) for token in old_tokens[cut:])
        start = len(old_text) - len(tail)
        # A cut inside a multi-byte character would hand the tokenizer invalid UTF-8, so move
        # it back to the token that starts the character.
        while cut > 0 and 0 < start < len(old_text) and 0x80 <= old_text[start] < 0xC0:
            cut -= 1
            piece = self._token_piece(old_tokens[cut])
            tail = piece + tail
            start -= len(piece)
        if start <= 0 or not old_text.endswith(tail):
            return None

        window = self._tokenize(text[start:])
        if window[:AGREEING_TOKENS] != old_tokens[cut : cut + AGREEING_TOKENS]:
            return None
        self.reused_tokens = cut
        return old_tokens[:cut] + window
