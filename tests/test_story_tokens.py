"""Tokenizing a grown story from near its old end gives the same tokens as tokenizing it whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from muse_desktop.engine.story_tokens import OVERLAP_TOKENS, StoryTokenizer

STORY = (
    "The lighthouse keeper found a letter in the sand. It was addressed to her, in her mother's "
    "hand, and dated the winter before she was born. She read it twice, folded it along its old "
    "creases and walked back up the hill while the gulls argued over the harbour."
)

CONTINUATIONS = {
    "new sentence": " The sea was calm that night.",
    "word grows at the join": "s and the boats",
    "new paragraph": "\n\nChapter two\n\nShe did not sleep.",
    "multi-byte text": " Café crème, naïve señor — 灯台の守り人 🌊🌊.",
    "digits and spaces": " 1,024 waves   and\t42 stars ",
}


def whole(model, text: str) -> list[int]:
    return model.tokenize(text, add_bos=False, special=False)


def story_tokenizer(model) -> StoryTokenizer:
    return StoryTokenizer(lambda text: model.llama.tokenize(text, add_bos=False, special=False), model.token_piece)


@pytest.mark.parametrize("name", CONTINUATIONS)
def test_continued_story_matches_whole_tokenization(standin_model, name: str) -> None:
    tokenizer = story_tokenizer(standin_model)
    assert tokenizer.tokenize(STORY.encode()) == whole(standin_model, STORY)
    assert tokenizer.reused_tokens == 0

    text = STORY + CONTINUATIONS[name]
    assert tokenizer.tokenize(text.encode()) == whole(standin_model, text)
    assert tokenizer.reused_tokens >= len(whole(standin_model, STORY)) - OVERLAP_TOKENS - 2


def test_same_story_returns_cached_tokens(standin_model) -> None:
    tokenizer = story_tokenizer(standin_model)
    first = tokenizer.tokenize(STORY.encode())
    assert tokenizer.tokenize(STORY.encode()) == first
    assert tokenizer.reused_tokens == len(first)


def test_edited_story_is_tokenized_whole(standin_model) -> None:
    tokenizer = story_tokenizer(standin_model)
    tokenizer.tokenize(STORY.encode())
    edited = STORY.replace("lighthouse", "harbour") + " More."
    assert tokenizer.tokenize(edited.encode()) == whole(standin_model, edited)
    assert tokenizer.reused_tokens == 0


def test_cut_inside_multibyte_character_moves_back(standin_model) -> None:
    # Emoji split into byte tokens put token boundaries inside characters.
    story = "🌊🏮🌙" * 12
    tokenizer = story_tokenizer(standin_model)
    tokenizer.tokenize(story.encode())
    text = story + "🌊 and then the tide turned."
    assert tokenizer.tokenize(text.encode()) == whole(standin_model, text)


def test_tokenizer_adding_leading_space_falls_back() -> None:
    """A SentencePiece-like tokenizer changes the first token of any window, so the whole text is used."""
    calls = []

    def tokenize(text: bytes) -> list[int]:
        calls.append(text)
        return list(b" " + text)

    def token_piece(token: int) -> bytes:
        return bytes([token])

    tokenizer = StoryTokenizer(tokenize, token_piece)
    story = b"x" * 100
    tokenizer.tokenize(story)
    assert tokenizer.tokenize(story + b"yz") == list(b" " + story + b"yz")
    assert calls[-1] == story + b"yz"
    assert tokenizer.reused_tokens == 0


def test_short_story_is_tokenized_whole(standin_model) -> None:
    tokenizer = story_tokenizer(standin_model)
    tokenizer.tokenize(b"Once")
    assert tokenizer.tokenize(b"Once upon a time") == whole(standin_model, "Once upon a time")
    assert tokenizer.reused_tokens == 0


WORDS = st.sampled_from(
    ["the", " the", "sea", " sea", "s", "'s", " don't", ".", ",", "\n", "\n\n", "  ", " 42", "7", "é",
     " naïve", "—", "🌊", "灯台", " Lighthouse", "-", "?!", "\t", "'", "\"", " a"]
)


@pytest.mark.parametrize("model_fixture", ["standin_model", "embedded_model"])
def test_any_continuation_matches_whole_tokenization(request, model_fixture: str) -> None:
    model = request.getfixturevalue(model_fixture)

    @settings(max_examples=150, deadline=None)
    @given(base=st.lists(WORDS, min_size=20, max_size=120), added=st.lists(WORDS, min_size=1, max_size=30))
    def check(base: list[str], added: list[str]) -> None:
        tokenizer = story_tokenizer(model)
        story = "".join(base)
        text = story + "".join(added)
        tokenizer.tokenize(story.encode())
        assert tokenizer.tokenize(text.encode()) == whole(model, text)

    check()
