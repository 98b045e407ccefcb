"""The catalog of models the app offers, read from a JSON data file.

The file people edit is models/catalog.json at the top of the repository. The package reads its
copy, muse_desktop/data/catalog.json, which ships as package data so that an installed app finds
it too. A test fails when the two differ.

Sizes of Hub files are estimates read from the repository's file list. The exact size and the
SHA-256 come from the Hub's metadata at download time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from muse_desktop.models.errors import CatalogError
from muse_desktop.sampling import MuseSettings

CATALOG_RESOURCE = "data/catalog.json"
CATALOG_FORMAT_VERSION = 1
PROMPT_FORMATS = ("story", "redpajama-chat", "chat-template")
SOURCES = ("hub", "embedded")
MODEL_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class HubFile:
    """The location of a model file on the Hugging Face Hub."""

    repository: str
    file: str
    revision: str = "main"


@dataclass(frozen=True)
class CatalogModel:
    """One model of the catalog, as the data file describes it."""

    id: str
    display_name: str
    description: str
    architecture: str
    quantization: str
    license: str
    context_length: int
    prompt_format: str
    stop_strings: tuple[str, ...]
    muse: MuseSettings
    source: str
    size_bytes: int
    size_is_estimate: bool
    hub: HubFile | None = None


@dataclass(frozen=True)
class Catalog:
    """All catalog models, in file order, and the id of the default one."""

    models: tuple[CatalogModel, ...]
    default_model: str

    def get(self, model_id: str) -> CatalogModel | None:
        """Return the model with ``model_id``, or None."""
        for model in self.models:
            if model.id == model_id:
                return model
        return None


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """Load the catalog that ships with the package (cached after the first call)."""
    resource = resources.files("muse_desktop").joinpath(CATALOG_RESOURCE)
    try:
        text = resource.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(f"cannot read the model catalog {resource}: {error}; reinstall Muse Desktop") from error
    return parse_catalog(text, source=str(resource))


def load_catalog_file(path: Path) -> Catalog:
    """Load a catalog from ``path`` (for tests and for checking an edited file)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(f"cannot read the model catalog {path}: {error}") from error
    return parse_catalog(text, source=str(path))


def parse_catalog(text: str, *, source: str) -> Catalog:
    """Parse and validate catalog JSON; ``source`` names the file in error messages."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogError(f"the model catalog {source} is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise CatalogError(f"the model catalog {source} must be a JSON object")
    if document.get("format_version") != CATALOG_FORMAT_VERSION:
        raise CatalogError(
            f"the model catalog {source} has format_version {document.get('format_version')!r}; "
            f"this version of Muse Desktop reads {CATALOG_FORMAT_VERSION}"
        )
    entries = document.get("models")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"the model catalog {source} needs a non-empty 'models' list")

    models = tuple(_parse_model(entry, index, source) for index, entry in enumerate(entries))
    ids = [model.id for model in models]
    duplicates = sorted({model_id for model_id in ids if ids.count(model_id) > 1})
    if duplicates:
        raise CatalogError(f"the model catalog {source} lists these ids more than once: {', '.join(duplicates)}")
    default_model = document.get("default_model")
    if default_model not in ids:
        raise CatalogError(f"the model catalog {source} names default_model {default_model!r}, which it does not list")
    return Catalog(models=models, default_model=default_model)


def _parse_model(entry: Any, index: int, source: str) -> CatalogModel:
    fields = _FieldReader(entry, f"the model catalog {source}, model #{index + 1}")
    model_id = fields.text("id")
    if not MODEL_ID_PATTERN.match(model_id):
        fields.fail("id", "lowercase letters, digits, '.', '_' and '-' (at most 80)", model_id)
    fields.context = f"the model catalog {source}, model '{model_id}'"

    source_kind = fields.choice("source", SOURCES)
    hub = _parse_hub(fields) if source_kind == "hub" else None
    try:
        muse = MuseSettings(**fields.mapping("muse"))
    except (TypeError, ValueError) as error:
        raise CatalogError(f"{fields.context}: invalid 'muse' settings: {error}") from error

    return CatalogModel(
        id=model_id,
        display_name=fields.text("display_name"),
        description=fields.text("description"),
        architecture=fields.text("architecture"),
        quantization=fields.text("quantization"),
        license=fields.text("license"),
        context_length=fields.positive_int("context_length"),
        prompt_format=fields.choice("prompt_format", PROMPT_FORMATS),
        stop_strings=fields.text_list("stop_strings"),
        muse=muse,
        source=source_kind,
        size_bytes=fields.positive_int("size_bytes"),
        size_is_estimate=fields.boolean("size_is_estimate"),
        hub=hub,
    )


def _parse_hub(fields: _FieldReader) -> HubFile:
    hub_fields = _FieldReader(fields.mapping("hub"), f"{fields.context}, 'hub'")
    repository = hub_fields.text("repository")
    if repository.count("/") != 1:
        hub_fields.fail("repository", "an 'owner/name' repository id", repository)
    file = hub_fields.text("file")
    if not file.endswith(".gguf"):
        hub_fields.fail("file", "a .gguf file name", file)
    return HubFile(repository=repository, file=file, revision=hub_fields.text("revision"))


class _FieldReader:
    """Typed access to one JSON object's fields, raising CatalogError with the field and value."""

    def __init__(self, entry: Any, context: str) -> None:
        if not isinstance(entry, dict):
            raise CatalogError(f"{context} must be a JSON object, got {type(entry).__name__}")
        self.entry = entry
        self.context = context

    def fail(self, name: str, expected: str, value: Any) -> None:
        raise CatalogError(f"{self.context}: '{name}' must be {expected}, got {value!r}")

    def _get(self, name: str) -> Any:
        if name not in self.entry:
            raise CatalogError(f"{self.context}: the field '{name}' is missing")
        return self.entry[name]

    def text(self, name: str) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not value.strip():
            self.fail(name, "a non-empty string", value)
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self._get(name)
        if value not in choices:
            self.fail(name, "one of " + ", ".join(choices), value)
        return value

    def positive_int(self, name: str) -> int:
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(name, "an integer > 0", value)
        return value

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if not isinstance(value, bool):
            self.fail(name, "true or false", value)
        return value

    def text_list(self, name: str) -> tuple[str, ...]:
        value = self._get(name)
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            self.fail(name, "a list of non-empty strings", value)
        return tuple(value)

    def mapping(self, name: str) -> dict[str, Any]:
        value = self._get(name)
        if not isinstance(value, dict):
            self.fail(name, "a JSON object", value)
        return value
