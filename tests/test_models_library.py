"""The model library's listing, imports, removal, hash checks of cached files, and --model resolution."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from local_hub import LocalHub
from models_testing import (  # noqa: F401
    DEFAULT_ID,
    FILENAME,
    REPOSITORY,
    hub,
    library,
    standin_bytes,
    write_header_only_gguf,
)

from muse_desktop.models.embedded import EMBEDDED_MODEL_ID
from muse_desktop.models.errors import (
    DownloadCancelledError,
    DownloadInProgressError,
    HashMismatchError,
    InvalidModelFileError,
    ModelNotPresentError,
    RegistryError,
    RemoveRejectedError,
    UnknownModelError,
)
from muse_desktop.models.library import ModelLibrary
from muse_desktop.models.progress import DownloadProgress
from muse_desktop.models.resolve import ModelNotFoundError, resolve_model_path

Q4_K_S_ID = "redpajama-incite-chat-3b-v1-q4_k_s"
Q4_K_S_FILE = "redpajama-incite-chat-3b-v1.Q4_K_S.gguf"


@pytest.fixture
def standin_file(tmp_path: Path, standin_bytes: bytes) -> Path:
    path = tmp_path / "my-models" / "Story Model Q8.gguf"
    path.parent.mkdir()
    path.write_bytes(standin_bytes)
    return path


def test_entries_before_any_download(library: ModelLibrary) -> None:
    entries = {entry.id: entry for entry in library.entries()}

    assert entries[DEFAULT_ID].state == "absent"
    assert entries[DEFAULT_ID].is_default
    assert entries[DEFAULT_ID].size_is_estimate
    assert entries[DEFAULT_ID].path is None
    assert entries[EMBEDDED_MODEL_ID].state == "present"
    assert entries[EMBEDDED_MODEL_ID].source == "embedded"
    assert entries[EMBEDDED_MODEL_ID].size_on_disk == entries[EMBEDDED_MODEL_ID].size_bytes


def test_entry_after_download_uses_hub_size(library: ModelLibrary, standin_bytes: bytes) -> None:
    path = library.download(DEFAULT_ID)
    entry = library.entry(DEFAULT_ID)

    assert entry.state == "present"
    assert entry.path == path
    assert entry.size_bytes == len(standin_bytes)
    assert not entry.size_is_estimate
    assert entry.size_on_disk == len(standin_bytes)


def test_import_registers_without_copying(library: ModelLibrary, standin_file: Path) -> None:
    entry = library.import_file(standin_file)

    assert entry.id == "story-model-q8"
    assert entry.source == "imported"
    assert entry.architecture == "gptneox"
    assert entry.path == standin_file
    assert entry.state == "present"
    assert library.path_for(entry.id) == standin_file
    assert [item.id for item in library.entries()][-1] == "story-model-q8"


def test_import_same_path_twice(library: ModelLibrary, standin_file: Path) -> None:
    first = library.import_file(standin_file)
    second = library.import_file(standin_file)

    assert second.id == first.id
    assert [entry.id for entry in library.entries()].count(first.id) == 1


def test_import_name_clash_gets_suffix(library: ModelLibrary, standin_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "story model q8.gguf"
    other.write_bytes(standin_file.read_bytes())

    assert library.import_file(standin_file).id == "story-model-q8"
    assert library.import_file(other).id == "story-model-q8-2"


@pytest.mark.parametrize(("case", "message"), [
    ("zero-byte", r"is empty \(0 bytes\)"),
    ("truncated", r"is truncated"),
    ("text", r"is a text file, not a GGUF model"),
    ("unsupported", r"is a 'notarealarch' model, an architecture llama.cpp in this build does not support"),
    ("missing", r"there is no such file"),
])
def test_import_rejects_bad_file(library: ModelLibrary, tmp_path: Path, standin_bytes: bytes, case: str, message: str) -> None:
    path = tmp_path / f"{case}.gguf"
    if case == "zero-byte":
        path.write_bytes(b"")
    elif case == "truncated":
        path.write_bytes(standin_bytes[: len(standin_bytes) // 2])
    elif case == "text":
        path.write_text("Chapter one. It was a dark and stormy night.\n")
    elif case == "unsupported":
        write_header_only_gguf(path, "notarealarch")

    with pytest.raises(InvalidModelFileError, match=message):
        library.import_file(path)
    assert [entry.source for entry in library.entries()].count("imported") == 0


def test_remove_imported_keeps_file(library: ModelLibrary, standin_file: Path) -> None:
    entry = library.import_file(standin_file)
    library.remove(entry.id)

    assert standin_file.exists()
    with pytest.raises(UnknownModelError):
        library.entry(entry.id)


def test_remove_download_keeps_other_quantization(library: ModelLibrary, hub: LocalHub, standin_bytes: bytes) -> None:
    hub.add_file(REPOSITORY, Q4_K_S_FILE, standin_bytes[:-1] + b"\x00")
    q4_k_m = library.download(DEFAULT_ID)
    q4_k_s = library.download(Q4_K_S_ID)

    library.remove(DEFAULT_ID)

    assert not q4_k_m.exists()
    assert not os.path.lexists(q4_k_m)
    assert library.entry(DEFAULT_ID).state == "absent"
    assert q4_k_s.read_bytes()[:-1] == standin_bytes[:-1]
    assert library.entry(Q4_K_S_ID).state == "present"
    assert list((library.cache_dir / f"models--{REPOSITORY.replace('/', '--')}" / "blobs").iterdir()) == [
        Path(os.path.realpath(q4_k_s))
    ]


def test_remove_deletes_partial(library: ModelLibrary, hub: LocalHub) -> None:
    hosted = hub.files[(REPOSITORY, FILENAME)]
    hosted.stall_after_bytes = 11 * 1024 * 1024
    cancel = threading.Event()

    def cancel_after_first_chunk(report: DownloadProgress) -> None:
        if report.downloaded_bytes > 0:
            cancel.set()

    with pytest.raises(DownloadCancelledError):
        library.download(DEFAULT_ID, progress=cancel_after_first_chunk, cancel=cancel)
    partial = library.entry(DEFAULT_ID).path
    assert library.entry(DEFAULT_ID).state == "partial"
    assert partial is not None and partial.name == f"{hosted.sha256}.incomplete"
    hosted.release.set()

    library.remove(DEFAULT_ID)

    assert not partial.exists()
    assert library.entry(DEFAULT_ID).state == "absent"


def test_remove_rejects_embedded_and_absent(library: ModelLibrary) -> None:
    with pytest.raises(RemoveRejectedError, match="ships with Muse Desktop"):
        library.remove(EMBEDDED_MODEL_ID)
    with pytest.raises(ModelNotPresentError, match="is not downloaded; there is nothing to remove"):
        library.remove(DEFAULT_ID)
    with pytest.raises(UnknownModelError, match="unknown model 'no-such-model'"):
        library.remove("no-such-model")


def test_path_for_absent_model(library: ModelLibrary) -> None:
    with pytest.raises(ModelNotPresentError, match=f"run: muse-desktop models download {DEFAULT_ID}"):
        library.path_for(DEFAULT_ID)


def test_path_for_detects_changed_file(library: ModelLibrary) -> None:
    path = library.download(DEFAULT_ID)
    blob = Path(os.path.realpath(path))
    with blob.open("r+b") as stream:
        stream.seek(1000)
        stream.write(b"\xff" * 16)

    with pytest.raises(HashMismatchError, match="the cached file of .* is corrupt"):
        library.path_for(DEFAULT_ID)
    assert not blob.exists()
    assert library.entry(DEFAULT_ID).state == "absent"


def test_path_for_checks_file_from_other_tool(library: ModelLibrary, hub: LocalHub) -> None:
    from huggingface_hub import hf_hub_download

    path = Path(hf_hub_download(REPOSITORY, FILENAME, cache_dir=library.cache_dir, endpoint=hub.endpoint))
    blob = Path(os.path.realpath(path))
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))

    with pytest.raises(HashMismatchError):
        library.path_for(DEFAULT_ID)


def test_resolve_model_path_ids(library: ModelLibrary, standin_file: Path) -> None:
    downloaded = library.download(DEFAULT_ID)
    imported = library.import_file(standin_file)

    assert resolve_model_path(DEFAULT_ID, library) == downloaded
    assert resolve_model_path(imported.id, library) == standin_file
    with pytest.raises(ModelNotFoundError, match="unknown model 'nope'"):
        resolve_model_path("nope", library)
    with pytest.raises(ModelNotFoundError, match="is not downloaded"):
        resolve_model_path(Q4_K_S_ID, library)


def test_imported_file_moved_away(library: ModelLibrary, standin_file: Path) -> None:
    entry = library.import_file(standin_file)
    standin_file.rename(standin_file.with_name("moved.gguf"))

    assert library.entry(entry.id).state == "absent"
    with pytest.raises(ModelNotPresentError, match="the imported file of story-model-q8 is gone"):
        library.path_for(entry.id)


def test_damaged_registry_is_kept(library: ModelLibrary) -> None:
    registry = library.data_dir / "models.json"
    registry.parent.mkdir(parents=True)
    registry.write_text('{"format_version": 1, "imported": [{"id": 3}]')

    with pytest.raises(RegistryError, match="are damaged"):
        library.entries()
    with pytest.raises(RegistryError):
        library.import_file(registry)
    assert registry.read_text() == '{"format_version": 1, "imported": [{"id": 3}]'


def test_cache_without_symlinks(library: ModelLibrary, standin_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_symlinks(self: Path, target: object, target_is_directory: bool = False) -> None:
        raise OSError("symlinks are not supported here")

    monkeypatch.setattr(Path, "symlink_to", no_symlinks)
    path = library.download(DEFAULT_ID)

    assert not path.is_symlink()
    assert path.read_bytes() == standin_bytes
    assert library.path_for(DEFAULT_ID) == path
    with path.open("r+b") as stream:
        stream.seek(2000)
        stream.write(b"\x00" * 8)
    with pytest.raises(HashMismatchError):
        library.path_for(DEFAULT_ID)
    assert not path.exists()


def test_second_download_waits_for_lock(library: ModelLibrary, hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("muse_desktop.models.downloads.LOCK_WAIT_SECONDS", 0.5)
    hosted = hub.files[(REPOSITORY, FILENAME)]
    hosted.stall_after_bytes = 1024
    first_cancel = threading.Event()
    first_errors: list[Exception] = []

    def first_download() -> None:
        try:
            library.download(DEFAULT_ID, cancel=first_cancel)
        except Exception as error:
            first_errors.append(error)

    first = threading.Thread(target=first_download)
    first.start()
    while not hub.requests_to("cdn"):
        time.sleep(0.05)

    with pytest.raises(DownloadInProgressError, match="another download of .* is running"):
        library.download(DEFAULT_ID)

    first_cancel.set()
    first.join(5)
    assert [type(error) for error in first_errors] == [DownloadCancelledError]
    hosted.stall_after_bytes = None
    hosted.release.set()
    assert library.download(DEFAULT_ID).exists()
