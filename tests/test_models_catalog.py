"""The catalog data file and its validation."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from muse_desktop.models.catalog import load_catalog, load_catalog_file, parse_catalog
from muse_desktop.models.embedded import EMBEDDED_MODEL_ID, embedded_model_path
from muse_desktop.models.errors import CatalogError
from muse_desktop.models.gguf_file import read_gguf_header, supported_architectures
from muse_desktop.sampling import MuseSettings

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
EDITED_CATALOG = REPOSITORY_ROOT / "models" / "catalog.json"
PACKAGED_CATALOG = REPOSITORY_ROOT / "muse_desktop" / "data" / "catalog.json"

REDPAJAMA_FILES = {
    "redpajama-incite-chat-3b-v1-q4_k_m": ("redpajama-incite-chat-3b-v1.Q4_K_M.gguf", "Q4_K_M", 1_790_000_000),
    "redpajama-incite-chat-3b-v1-q4_k_s": ("redpajama-incite-chat-3b-v1.Q4_K_S.gguf", "Q4_K_S", 1_610_000_000),
    "redpajama-incite-chat-3b-v1-q3_k_m": ("redpajama-incite-chat-3b-v1.Q3_K_M.gguf", "Q3_K_M", 1_480_000_000),
}


def test_packaged_copy_matches_edited_file() -> None:
    assert PACKAGED_CATALOG.read_bytes() == EDITED_CATALOG.read_bytes(), (
        "muse_desktop/data/catalog.json must equal models/catalog.json; run: cp models/catalog.json muse_desktop/data/"
    )


def test_catalog_loads() -> None:
    catalog = load_catalog()

    assert catalog.default_model == "redpajama-incite-chat-3b-v1-q4_k_m"
    assert [model.id for model in catalog.models] == [*REDPAJAMA_FILES, EMBEDDED_MODEL_ID]
    assert load_catalog_file(EDITED_CATALOG) == catalog


@pytest.mark.parametrize("model_id", list(REDPAJAMA_FILES))
def test_redpajama_entries(model_id: str) -> None:
    model = load_catalog().get(model_id)
    file, quantization, size = REDPAJAMA_FILES[model_id]

    assert model is not None and model.hub is not None
    assert model.hub.repository == "mav23/RedPajama-INCITE-Chat-3B-v1-GGUF"
    assert model.hub.file == file
    assert model.quantization == quantization
    assert model.size_bytes == size
    assert model.size_is_estimate
    assert model.architecture == "gptneox"
    assert model.license == "Apache-2.0"
    assert model.context_length == 2048
    assert model.prompt_format == "redpajama-chat"
    assert model.stop_strings == ("<human>:",)
    assert model.muse == MuseSettings(top_k=3, damp=0.9, damp_initial=1.0, damp_ramp_tokens=32)


def test_embedded_entry_matches_file() -> None:
    model = load_catalog().get(EMBEDDED_MODEL_ID)
    header = read_gguf_header(embedded_model_path())

    assert model is not None
    assert model.source == "embedded"
    assert model.hub is None
    assert model.size_bytes == header.file_size
    assert model.architecture == header.architecture
    assert model.context_length == header.context_length


def test_architectures_supported() -> None:
    for model in load_catalog().models:
        assert model.architecture in supported_architectures(), model.id


def _document() -> dict:
    return json.loads(EDITED_CATALOG.read_text())


def _broken(change) -> str:
    document = copy.deepcopy(_document())
    change(document)
    return json.dumps(document)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["models"][0].pop("license"), r"model 'redpajama-incite-chat-3b-v1-q4_k_m': the field 'license' is missing"),
    (lambda d: d["models"][0].update(prompt_format="poem"), r"'prompt_format' must be one of story, redpajama-chat, chat-template, got 'poem'"),
    (lambda d: d["models"][0].update(context_length=-1), r"'context_length' must be an integer > 0, got -1"),
    (lambda d: d["models"][0].update(id="Bad Id"), r"'id' must be lowercase letters"),
    (lambda d: d["models"][0]["hub"].update(repository="no-owner"), r"'repository' must be an 'owner/name' repository id"),
    (lambda d: d["models"][0]["hub"].update(file="model.bin"), r"'file' must be a .gguf file name"),
    (lambda d: d["models"][0]["muse"].update(damp=-1), r"invalid 'muse' settings: .*damp"),
    (lambda d: d["models"].append(d["models"][0]), r"lists these ids more than once: redpajama-incite-chat-3b-v1-q4_k_m"),
    (lambda d: d.update(default_model="missing"), r"names default_model 'missing', which it does not list"),
    (lambda d: d.update(format_version=2), r"has format_version 2; this version of Muse Desktop reads 1"),
])
def test_invalid_catalog_rejected(change, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog(_broken(change), source="test.json")


def test_catalog_not_json() -> None:
    with pytest.raises(CatalogError, match="the model catalog test.json is not valid JSON"):
        parse_catalog("{models: []", source="test.json")
