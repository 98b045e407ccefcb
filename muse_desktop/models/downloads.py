"""Downloading one catalog file from the Hugging Face Hub into its standard cache, resumably and verified.

huggingface_hub 2.4.0's `hf_hub_download` writes each attempt to a temporary file with a random
name and deletes it when the attempt fails, so an interrupted download starts again from zero,
and it only warns when the disk is too small. This module therefore uses the library's lower
layers: `get_hf_file_metadata` for the HEAD request (commit, size, SHA-256 from X-Linked-Etag)
and `http_get` for the transfer, which resumes with a Range request. The partial file has a
fixed name, blobs/<sha256>.incomplete, so a later attempt continues where the last one stopped.
The file becomes visible in the cache only after its SHA-256 matched.

The requests honour HF_ENDPOINT, HF_HUB_OFFLINE, HF_TOKEN and the stored login token, because
huggingface_hub reads them. Xet storage is not used. huggingface_hub 2.4.0 itself downloads a
Xet-backed file over plain HTTP from its /resolve URL when hf_xet is missing, and that is the
path taken here for every file.

NOTE: the tests run against a local stand-in of the Hub. The plain-HTTP path for Xet-backed
files and the Range support of the Hub's CDN follow huggingface_hub's code and are not tested
against the real Hub.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import logging
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from filelock import FileLock, Timeout
from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import http_get
from huggingface_hub.utils import build_hf_headers

from muse_desktop.models.background import Report, WorkStopped
from muse_desktop.models.catalog import CatalogModel
from muse_desktop.models.errors import (
    CacheWriteError,
    CatalogMismatchError,
    DiskFullError,
    DownloadInProgressError,
    HashMismatchError,
    HubAccessDeniedError,
    HubFileNotFoundError,
    HubMetadataError,
    HubRepositoryNotFoundError,
    HubRequestError,
    HubUnreachableError,
    ModelLibraryError,
    NotEnoughDiskSpaceError,
    OfflineModeError,
)
from muse_desktop.models.gguf_file import InvalidGGUFError, read_gguf_header
from muse_desktop.models.hub_cache import CachedHubFile
from muse_desktop.models.progress import VERIFYING, ProgressMeter, format_bytes

logger = logging.getLogger(__name__)

SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
HASH_BLOCK_BYTES = 8 * 1024 * 1024
# A cancelled transfer in this process keeps the lock until its current network read returns.
# A new attempt waits this long for it before it reports another download in progress.
LOCK_WAIT_SECONDS = 15.0

FreeBytes = Callable[[Path], int]


@dataclass(frozen=True)
class RemoteFile:
    """The Hub's metadata for one file: SHA-256, exact size, commit, and a download URL pinned to that commit."""

    sha256: str
    size: int
    commit: str
    url: str


def fetch_remote_file(model: CatalogModel, endpoint: str | None) -> RemoteFile:
    """Ask the Hub (one HEAD request) for the commit, size and SHA-256 of ``model``'s file."""
    assert model.hub is not None
    hub = model.hub
    url = hf_hub_url(hub.repository, hub.file, revision=hub.revision, endpoint=endpoint)
    logger.debug("fetching metadata of %s from %s", model.id, url)
    try:
        metadata = get_hf_file_metadata(url, endpoint=endpoint)
    except Exception as error:
        raise hub_error(error, model, endpoint) from error

    where = f"the Hub's answer for {hub.repository}/{hub.file}"
    if metadata.commit_hash is None:
        raise HubMetadataError(
            f"{where} has no X-Repo-Commit header; check that HF_ENDPOINT ({_endpoint(endpoint)}) is a Hugging Face Hub"
        )
    sha256 = (metadata.etag or "").lower()
    if not SHA256_PATTERN.match(sha256):
        raise HubMetadataError(
            f"{where} publishes no SHA-256 (its ETag is {metadata.etag!r}), so the download could not be "
            "verified; the catalog entry must name a file stored with Git LFS"
        )
    if metadata.size is None or metadata.size <= 0:
        raise HubMetadataError(f"{where} gives no file size (X-Linked-Size); try again later")
    if model.size_is_estimate and abs(metadata.size - model.size_bytes) > model.size_bytes // 10:
        logger.warning(
            "%s: the Hub's size %d bytes differs by over 10%% from the catalog's estimate %d",
            model.id, metadata.size, model.size_bytes,
        )
    download_url = hf_hub_url(hub.repository, hub.file, revision=metadata.commit_hash, endpoint=endpoint)
    return RemoteFile(sha256=sha256, size=metadata.size, commit=metadata.commit_hash, url=download_url)


def check_disk_space(model: CatalogModel, directory: Path, needed_bytes: int, free_bytes: FreeBytes) -> None:
    """Raise NotEnoughDiskSpaceError if the disk that contains ``directory`` has less than ``needed_bytes`` free."""
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    free = free_bytes(existing)
    if free < needed_bytes:
        raise NotEnoughDiskSpaceError(
            f"not enough disk space to download {model.id}: it needs {format_bytes(needed_bytes)} more but "
            f"{existing} has {format_bytes(free)} free; free some space or set HF_HUB_CACHE to a folder on a larger disk"
        )


def free_disk_bytes(path: Path) -> int:
    """Return the free bytes on the disk that contains ``path``."""
    return shutil.disk_usage(path).free


def download_blob(model: CatalogModel, cached: CachedHubFile, remote: RemoteFile, report: Report, stop: threading.Event) -> None:
    """Download, verify and move ``remote`` into blobs/<sha256>; runs on a worker thread.

    It takes huggingface_hub's lock file for the blob for the whole time, so two downloads of
    the same file never write to it at once.
    """
    blob = cached.blob_path(remote.sha256)
    partial = cached.partial_path(remote.sha256)
    lock_path = cached.lock_path(remote.sha256)
    blob.parent.mkdir(parents=True, exist_ok=True)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_path), timeout=LOCK_WAIT_SECONDS):
            if blob.exists():
                # Downloaded by huggingface_hub, or by an attempt that stopped before linking it.
                _verify(model, blob, remote, report, stop)
                return
            _transfer(model, partial, remote, report, stop)
            _verify(model, partial, remote, report, stop)
            _check_header(model, partial)
            partial.replace(blob)
    except Timeout as error:
        raise DownloadInProgressError(
            f"another download of {model.id} is running (it has locked {lock_path}); wait for it to finish"
        ) from error
    logger.info("downloaded and verified %s (%d bytes, sha256 %s)", model.id, remote.size, remote.sha256)


def _transfer(model: CatalogModel, partial: Path, remote: RemoteFile, report: Report, stop: threading.Event) -> None:
    resume_from = partial.stat().st_size if partial.exists() else 0
    if resume_from > remote.size:
        logger.warning("%s: the partial file %s is larger than the file; starting again", model.id, partial)
        partial.unlink()
        resume_from = 0
    if resume_from:
        logger.info("resuming %s at byte %d of %d", model.id, resume_from, remote.size)
    meter = ProgressMeter(remote.size)
    report(meter.measure(resume_from))
    tracker = functools.partial(_TransferTracker, meter=meter, report=report, stop=stop)
    try:
        with partial.open("ab") as stream:
            http_get(remote.url, stream, resume_size=resume_from, headers=build_hf_headers(),
                     expected_size=remote.size, displayed_filename=partial.name, tqdm_class=tracker)
    except WorkStopped:
        raise
    except Exception as error:
        done = partial.stat().st_size if partial.exists() else 0
        raise _transfer_error(error, model, partial, done, remote.size) from error


class _TransferTracker:
    """Stands in for tqdm inside `http_get`: reports each chunk and stops the transfer once cancelled."""

    def __init__(self, *, meter: ProgressMeter, report: Report, stop: threading.Event, initial: int = 0, **_: Any) -> None:
        self._meter = meter
        self._report = report
        self._stop = stop
        self._done = initial

    def __enter__(self) -> _TransferTracker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def update(self, size: int) -> None:
        # http_get calls this before writing the chunk, so a stop here leaves only whole chunks on disk.
        if self._stop.is_set():
            raise WorkStopped
        self._done += size
        self._report(self._meter.measure(self._done))

    def close(self) -> None:
        return None


def _verify(model: CatalogModel, path: Path, remote: RemoteFile, report: Report, stop: threading.Event) -> None:
    actual = hash_file(path, report, stop)
    if actual != remote.sha256:
        path.unlink()
        raise HashMismatchError(
            f"the download of {model.id} is corrupt: its SHA-256 is {actual} but the Hub publishes "
            f"{remote.sha256}; the file was deleted, so run the download again"
        )


def hash_file(path: Path, report: Report | None = None, stop: threading.Event | None = None) -> str:
    """Return the SHA-256 of ``path`` as hex, reporting progress in the "verifying" phase."""
    total = path.stat().st_size
    meter = ProgressMeter(total, phase=VERIFYING)
    digest = hashlib.sha256()
    done = 0
    with path.open("rb") as stream:
        while block := stream.read(HASH_BLOCK_BYTES):
            if stop is not None and stop.is_set():
                raise WorkStopped
            digest.update(block)
            done += len(block)
            if report is not None:
                report(meter.measure(done))
    return digest.hexdigest()


def _check_header(model: CatalogModel, path: Path) -> None:
    try:
        header = read_gguf_header(path)
    except InvalidGGUFError as error:
        path.unlink()
        raise CatalogMismatchError(f"the catalog entry {model.id} names a file that is not a usable model: {error}") from error
    if header.architecture != model.architecture:
        path.unlink()
        raise CatalogMismatchError(
            f"the catalog entry {model.id} expects a '{model.architecture}' model but the Hub file is a "
            f"'{header.architecture}' model; the file was deleted and the catalog entry needs fixing"
        )


def _transfer_error(error: Exception, model: CatalogModel, partial: Path, done: int, total: int) -> ModelLibraryError:
    progress = f"after {format_bytes(done)} of {format_bytes(total)}"
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"the disk filled up while downloading {model.id} {progress}; free some space and run "
            "the download again to resume"
        )
    if isinstance(error, (httpx2.TransportError, OfflineModeIsEnabled, HfHubHTTPError)):
        described = hub_error(error, model, None)
        return type(described)(f"{described} (stopped {progress}; the next attempt resumes)")
    if isinstance(error, OSError) and error.errno is None:
        # http_get raises a plain OSError when the server sent fewer or more bytes than announced.
        return HubUnreachableError(f"the download of {model.id} ended early {progress}; run it again to resume")
    if isinstance(error, OSError):
        return CacheWriteError(f"cannot write {partial}: {error.strerror or error}")
    return HubRequestError(f"the download of {model.id} failed {progress}: {error}")


def hub_error(error: BaseException, model: CatalogModel, endpoint: str | None) -> ModelLibraryError:
    """Translate a huggingface_hub or httpx2 exception into the library's one-line error."""
    assert model.hub is not None
    repository, file = model.hub.repository, model.hub.file
    host = _endpoint(endpoint)
    if isinstance(error, OfflineModeIsEnabled):
        return offline_mode_error(model)
    if isinstance(error, GatedRepoError):
        return HubAccessDeniedError(
            f"{repository} is a gated repository: accept its terms at {host}/{repository} and set HF_TOKEN "
            "to a token of that account"
        )
    if isinstance(error, RepositoryNotFoundError):
        return HubRepositoryNotFoundError(
            f"the repository {repository} (for {model.id}) was not found on {host}; if it is private set "
            "HF_TOKEN, otherwise the catalog entry is out of date"
        )
    if isinstance(error, (RemoteEntryNotFoundError, RevisionNotFoundError)):
        return HubFileNotFoundError(
            f"{file} (revision {model.hub.revision}) was not found in {repository} on {host}; "
            f"the catalog entry {model.id} is out of date"
        )
    if isinstance(error, HfHubHTTPError):
        return _http_status_error(error, model, host)
    if isinstance(error, httpx2.TransportError):
        return HubUnreachableError(
            f"cannot reach {host} to download {model.id} ({type(error).__name__}: {error}); "
            "check the network connection and try again"
        )
    return HubRequestError(f"the request for {repository}/{file} failed: {error}")


def offline_mode_error(model: CatalogModel) -> OfflineModeError:
    """Build the error for a model that is not downloaded while HF_HUB_OFFLINE is set."""
    return OfflineModeError(
        f"{model.id} is not downloaded and offline mode is on (HF_HUB_OFFLINE is set); unset it to download"
    )


def _http_status_error(error: HfHubHTTPError, model: CatalogModel, host: str) -> ModelLibraryError:
    status = error.response.status_code if error.response is not None else None
    if status in (401, 403):
        return HubAccessDeniedError(
            f"{host} denied access to {model.hub.repository}/{model.hub.file} (HTTP {status}); "
            "check that HF_TOKEN holds a valid token with read access"
        )
    return HubRequestError(
        f"{host} returned HTTP {status} for {model.hub.repository}/{model.hub.file}; try again later"
    )


def _endpoint(endpoint: str | None) -> str:
    return (endpoint or constants.ENDPOINT).rstrip("/")
