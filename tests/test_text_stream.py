"""Streaming text: whole UTF-8 characters and stop strings that never leak."""

from __future__ import annotations

import pytest

from muse_desktop.engine import TextStream


def feed(stream: TextStream, pieces: list[bytes]) -> list[str]:
    return [stream.push(piece) for piece in pieces]


def test_split_character_released_whole() -> None:
    bear = "🐻".encode()
    stream = TextStream()
    released = feed(stream, [b"a", bear[:1], bear[1:3], bear[3:], b"b"])
    assert released == ["a", "", "", "🐻", "b"]


def test_invalid_bytes_become_replacement_character() -> None:
    stream = TextStream()
    released = feed(stream, [b"ok \xff", b"!"])
    assert "".join(released) + stream.finish() == "ok \ufffd!"


def test_incomplete_character_at_end_replaced() -> None:
    stream = TextStream()
    stream.push("é".encode()[:1])
    assert stream.finish() == "\ufffd"


def test_stop_string_across_pieces_never_released() -> None:
    stream = TextStream(["<human>:"])
    released = feed(stream, [b"The end.", b"\n<hu", b"man", b">: more"])
    assert "".join(released) == "The end.\n"
    assert stream.stopped_by == "<human>:"
    assert stream.push(b"later") == ""
    assert stream.finish() == ""


def test_partial_stop_prefix_released_when_disproved() -> None:
    stream = TextStream(["<human>:"])
    assert stream.push(b"a <hu") == "a "
    assert stream.push(b"ge bear") == "<huge bear"
    assert stream.stopped_by is None


def test_partial_stop_prefix_released_at_finish() -> None:
    stream = TextStream(["<human>:"])
    assert stream.push(b"end <") == "end "
    assert stream.finish() == "<"


def test_earliest_of_several_stop_strings_wins() -> None:
    stream = TextStream(["THE END", "\n\n\n"])
    released = feed(stream, [b"story\n\n\nTHE END"])
    assert released == ["story"]
    assert stream.stopped_by == "\n\n\n"


@pytest.mark.parametrize(
    ("text", "splits_characters"),
    [("Snow 雪 and ice 氷", True), ("Polar bear 🐻‍❄️ swims", True), ("naïve café crème", False)],
)
def test_real_tokenizer_pieces_reassemble(standin_model, text: str, splits_characters: bool) -> None:
    # The GPT-NeoX byte-level BPE splits many non-ASCII characters across tokens.
    tokens = standin_model.tokenize(text, add_bos=False, special=False)
    pieces = [standin_model.token_piece(token) for token in tokens]
    assert any(_is_partial_utf8(piece) for piece in pieces) == splits_characters

    stream = TextStream()
    released = feed(stream, pieces)

    assert "\ufffd" not in "".join(released)
    assert "".join(released) + stream.finish() == text


def _is_partial_utf8(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
