"""Downloads with the real huggingface_hub client against a local Hub on 127.0.0.1."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from huggingface_hub import hf_hub_download, try_to_load_from_cache
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

from muse_desktop.models.errors import (
    CatalogMismatchError,
    DiskFullError,
    DownloadCancelledError,
    HashMismatchError,
    HubAccessDeniedError,
    HubFileNotFoundError,
    HubMetadataError,
    HubRepositoryNotFoundError,
    HubUnreachableError,
    NotEnoughDiskSpaceError,
    OfflineModeError,
)
from muse_desktop.models.library import ModelLibrary
from muse_desktop.models.progress import DOWNLOADING, VERIFYING, DownloadProgress

TEN_MIB = 10 * 1024 * 1024


def _partial_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("*.incomplete"))


def _complete_looking_files(cache_dir: Path) -> list[Path]:
    """Files a loader could mistake for a model: anything under blobs/ or snapshots/ not named .incomplete."""
    return [
        path for path in cache_dir.rglob("*")
        if (path.is_file() or path.is_symlink()) and path.suffix != ".incomplete"
        and ("blobs" in path.parts or "snapshots" in path.parts)
    ]


def test_download_clean_with_progress(library: ModelLibrary, hub: LocalHub, standin_bytes: bytes) -> None:
    reports: list[DownloadProgress] = []
    path = library.download(DEFAULT_ID, progress=reports.append)

    assert path.read_bytes() == standin_bytes
    assert path.parent.name == hub.files[(REPOSITORY, FILENAME)].commit
    downloading = [report for report in reports if report.phase == DOWNLOADING]
    verifying = [report for report in reports if report.phase == VERIFYING]
    assert downloading[0].downloaded_bytes == 0
    assert downloading[-1].downloaded_bytes == len(standin_bytes)
    assert all(report.total_bytes == len(standin_bytes) for report in reports)
    assert [r.downloaded_bytes for r in downloading] == sorted(r.downloaded_bytes for r in downloading)
    assert len(downloading) >= 3, "28 MB in 10 MiB chunks gives at least three reports"
    assert verifying[-1].downloaded_bytes == len(standin_bytes)
    assert _partial_files(library.cache_dir) == []


def test_download_lands_in_standard_cache(library: ModelLibrary, hub: LocalHub) -> None:
    path = library.download(DEFAULT_ID)

    found = try_to_load_from_cache(REPOSITORY, FILENAME, cache_dir=library.cache_dir)
    assert found == str(path)
    offline_path = hf_hub_download(REPOSITORY, FILENAME, cache_dir=library.cache_dir, local_files_only=True)
    assert offline_path == str(path)
    hosted = hub.files[(REPOSITORY, FILENAME)]
    assert Path(os.path.realpath(path)).name == hosted.sha256
    repo_folder = library.cache_dir / f"models--{REPOSITORY.replace('/', '--')}"
    assert (repo_folder / "refs" / "main").read_text() == hosted.commit


def test_download_present_needs_no_network(library: ModelLibrary, hub: LocalHub) -> None:
    first = library.download(DEFAULT_ID)
    hub.close()
    requests_before = len(hub.requests)

    assert library.download(DEFAULT_ID) == first
    assert library.path_for(DEFAULT_ID) == first
    assert len(hub.requests) == requests_before


def test_download_sends_token(library: ModelLibrary, hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.set_access(REPOSITORY, "public", token="hf_localtesttoken")
    with pytest.raises(HubAccessDeniedError, match="gated repository"):
        library.download(DEFAULT_ID)

    monkeypatch.setenv("HF_TOKEN", "hf_localtesttoken")
    library.download(DEFAULT_ID)
    assert hub.requests_to("hub", "HEAD")[-1].authorization == "Bearer hf_localtesttoken"
    assert all(request.authorization is None for request in hub.requests_to("cdn"))


def test_dropped_connection_resumes_in_same_call(library: ModelLibrary, hub: LocalHub, standin_bytes: bytes) -> None:
    hub.files[(REPOSITORY, FILENAME)].drop_after_bytes = len(standin_bytes) // 2

    path = library.download(DEFAULT_ID)

    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(standin_bytes).hexdigest()
    ranges = [request.range for request in hub.requests_to("cdn")]
    assert ranges[0] is None
    assert len(ranges) == 2
    resumed_at = int(ranges[1].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= len(standin_bytes) // 2, "the retry asks only for the bytes it lacks"


def test_partial_from_killed_process_resumes(library: ModelLibrary, hub: LocalHub, standin_bytes: bytes) -> None:
    hosted = hub.files[(REPOSITORY, FILENAME)]
    blobs = library.cache_dir / f"models--{REPOSITORY.replace('/', '--')}" / "blobs"
    blobs.mkdir(parents=True)
    (blobs / f"{hosted.sha256}.incomplete").write_bytes(standin_bytes[:TEN_MIB])

    path = library.download(DEFAULT_ID)

    assert path.read_bytes() == standin_bytes
    assert [request.range for request in hub.requests_to("cdn")] == [f"bytes={TEN_MIB}-"]


def test_cancel_stops_within_second_then_resumes(library: ModelLibrary, hub: LocalHub, standin_bytes: bytes) -> None:
    hosted = hub.files[(REPOSITORY, FILENAME)]
    hosted.stall_after_bytes = TEN_MIB + 1024 * 1024
    cancel = threading.Event()

    def cancel_after_first_chunk(report: DownloadProgress) -> None:
        if report.downloaded_bytes >= TEN_MIB:
            cancel.set()

    started = time.monotonic()
    with pytest.raises(DownloadCancelledError, match="resumes") as raised:
        library.download(DEFAULT_ID, progress=cancel_after_first_chunk, cancel=cancel)
    assert time.monotonic() - started < 5.0, "the transfer itself is stalled, so only cancel can end the call"
    assert "10.5 MB are kept" in str(raised.value)
    assert _complete_looking_files(library.cache_dir) == []
    assert library.entry(DEFAULT_ID).state == "partial"

    hosted.stall_after_bytes = None
    hosted.release.set()
    path = library.download(DEFAULT_ID)

    assert path.read_bytes() == standin_bytes
    assert hub.requests_to("cdn")[-1].range == f"bytes={TEN_MIB}-"


def test_cancel_returns_within_second(library: ModelLibrary, hub: LocalHub) -> None:
    hub.files[(REPOSITORY, FILENAME)].stall_after_bytes = 1024
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()

    started = time.monotonic()
    with pytest.raises(DownloadCancelledError):
        library.download(DEFAULT_ID, cancel=cancel)
    assert time.monotonic() - started - 0.5 < 1.0


def test_hash_mismatch_deletes_file(library: ModelLibrary, hub: LocalHub, standin_bytes: bytes) -> None:
    hosted = hub.files[(REPOSITORY, FILENAME)]
    hosted.served_data = standin_bytes[:-4] + b"\x00\x01\x02\x03"

    with pytest.raises(HashMismatchError, match=f"the Hub publishes {hosted.sha256}; the file was deleted"):
        library.download(DEFAULT_ID)
    assert _partial_files(library.cache_dir) == []
    assert _complete_looking_files(library.cache_dir) == []
    assert library.entry(DEFAULT_ID).state == "absent"


def test_missing_file_404(library: ModelLibrary, hub: LocalHub) -> None:
    hub.files.clear()
    with pytest.raises(HubFileNotFoundError, match=f"{FILENAME} .* was not found in {REPOSITORY}"):
        library.download(DEFAULT_ID)


def test_missing_repository_404(library: ModelLibrary, hub: LocalHub) -> None:
    hub.files.clear()
    hub.repositories.clear()
    with pytest.raises(HubRepositoryNotFoundError, match=f"the repository {REPOSITORY} .* was not found"):
        library.download(DEFAULT_ID)


@pytest.mark.parametrize(("access", "message"), [
    ("gated", "is a gated repository: accept its terms"),
    ("forbidden", r"denied access .* \(HTTP 403\)"),
])
def test_access_denied_403(library: ModelLibrary, hub: LocalHub, access: str, message: str) -> None:
    hub.set_access(REPOSITORY, access)
    with pytest.raises(HubAccessDeniedError, match=message):
        library.download(DEFAULT_ID)


def test_no_network_without_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    library = ModelLibrary(tmp_path / "data", cache_dir=tmp_path / "cache", endpoint=f"http://127.0.0.1:{closed_port}")

    with pytest.raises(HubUnreachableError, match="cannot reach http://127.0.0.1:.* check the network connection"):
        library.download(DEFAULT_ID)


def test_offline_mode_without_cache(library: ModelLibrary, hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(OfflineModeError, match="offline mode is on"):
        library.download(DEFAULT_ID)
    assert hub.requests == []


def test_offline_mode_with_cache(library: ModelLibrary, hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    path = library.download(DEFAULT_ID)
    requests_before = len(hub.requests)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)

    assert library.download(DEFAULT_ID) == path
    assert len(hub.requests) == requests_before


def test_not_enough_disk_space(tmp_path: Path, hub: LocalHub, standin_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    checked: list[Path] = []

    def nearly_full(path: Path) -> int:
        checked.append(path)
        return 1_000_000

    library = ModelLibrary(tmp_path / "data", cache_dir=tmp_path / "cache", endpoint=hub.endpoint, free_bytes=nearly_full)
    with pytest.raises(NotEnoughDiskSpaceError, match=r"needs 28.0 MB more but .* has 1.0 MB free"):
        library.download(DEFAULT_ID)
    assert checked == [tmp_path]
    assert hub.requests_to("cdn") == []


def test_disk_full_keeps_partial(library: ModelLibrary, hub: LocalHub) -> None:
    # /dev/full fails every write with ENOSPC, as a full disk does.
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full (Linux)")
    hosted = hub.files[(REPOSITORY, FILENAME)]
    blobs = library.cache_dir / f"models--{REPOSITORY.replace('/', '--')}" / "blobs"
    blobs.mkdir(parents=True)
    (blobs / f"{hosted.sha256}.incomplete").symlink_to("/dev/full")

    with pytest.raises(DiskFullError, match="the disk filled up while downloading .* run the download again to resume"):
        library.download(DEFAULT_ID)
    assert _complete_looking_files(library.cache_dir) == []


@pytest.mark.parametrize(("architecture", "message"), [
    ("llama", "expects a 'gptneox' model but the Hub file is a 'llama' model"),
    ("notarealarch", "names a file that is not a usable model: .* 'notarealarch' model"),
])
def test_catalog_entry_wrong_architecture(
    library: ModelLibrary, hub: LocalHub, tmp_path: Path, architecture: str, message: str
) -> None:
    hub.add_file(REPOSITORY, FILENAME, write_header_only_gguf(tmp_path / "other.gguf", architecture).read_bytes())

    with pytest.raises(CatalogMismatchError, match=message):
        library.download(DEFAULT_ID)
    assert _complete_looking_files(library.cache_dir) == []
    assert _partial_files(library.cache_dir) == []


def test_hub_without_sha256(library: ModelLibrary, hub: LocalHub) -> None:
    hub.files[(REPOSITORY, FILENAME)].linked_etag = "1b9c4e5f0a2d3c4b5a69788796a5b4c3d2e1f001"

    with pytest.raises(HubMetadataError, match="publishes no SHA-256 .* could not be verified"):
        library.download(DEFAULT_ID)
    assert hub.requests_to("cdn") == []
