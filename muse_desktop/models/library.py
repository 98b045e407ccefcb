"""The model library: catalog models, the embedded model and imported files, with their state on disk.

This is the interface the command line and the desktop app share. It has no Qt dependency; the
app calls it from a worker thread and passes a progress callback and a threading.Event to cancel.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from huggingface_hub import constants, is_offline_mode

from muse_desktop.models.background import run_cancellable
from muse_desktop.models.catalog import Catalog, CatalogModel, load_catalog
from muse_desktop.models.downloads import (
    SHA256_PATTERN,
    FreeBytes,
    check_disk_space,
    download_blob,
    fetch_remote_file,
    free_disk_bytes,
    hash_file,
    offline_mode_error,
)
from muse_desktop.models.embedded import EmbeddedModelMissingError, embedded_model_path
from muse_desktop.models.errors import (
    DownloadCancelledError,
    HashMismatchError,
    HubMetadataError,
    ModelNotPresentError,
    RemoveRejectedError,
    UnknownModelError,
)
from muse_desktop.models.hub_cache import CachedHubFile
from muse_desktop.models.imports import inspect_import
from muse_desktop.models.progress import DownloadProgress, ProgressCallback, format_bytes
from muse_desktop.models.registry import DownloadRecord, ImportedFile, Registry
from muse_desktop.sampling import MuseSettings

logger = logging.getLogger(__name__)

__all__ = ["DownloadProgress", "ModelEntry", "ModelLibrary"]

APP_NAME = "muse-desktop"
REGISTRY_FILE = "models.json"

PRESENT = "present"
PARTIAL = "partial"
ABSENT = "absent"


@dataclass(frozen=True)
class ModelEntry:
    """One model as the library lists it.

    Attributes:
        state: "present" (ready to load), "partial" (an interrupted download) or "absent".
        size_bytes: Size of the complete file: the Hub's exact size once a download started,
            else the catalog's estimate (see ``size_is_estimate``).
        size_on_disk: Bytes on disk now, partial files included.
        path: The model file, the partial file while "partial", or None.
        prompt_format: "story", "redpajama-chat" or "chat-template".
        muse: Recommended Muse settings.
        source: "embedded", "catalog" or "imported".
    """

    id: str
    display_name: str
    architecture: str
    state: str
    size_bytes: int
    size_on_disk: int
    path: Path | None
    license: str
    context_length: int | None
    prompt_format: str
    stop_strings: tuple[str, ...]
    muse: MuseSettings
    description: str
    source: str
    quantization: str | None = None
    size_is_estimate: bool = False
    is_default: bool = False


class ModelLibrary:
    """Lists, downloads, imports and removes models.

    Args:
        data_dir: Folder of the library's records (imported files, verified hashes). Default:
            the platform's user data folder for "muse-desktop".
        cache_dir: Hugging Face cache folder. Default: huggingface_hub's, which honours
            HF_HUB_CACHE and HF_HOME.
        endpoint: Hub URL. Default: huggingface_hub's, which honours HF_ENDPOINT.
        free_bytes: Reads the free space of a folder's disk; tests replace it.
        catalog: The catalog; default: the one that ships with the package.

    One instance may be used from several threads, but two downloads of the same model run one
    after the other (they share a file lock).
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        cache_dir: Path | None = None,
        endpoint: str | None = None,
        free_bytes: FreeBytes = free_disk_bytes,
        catalog: Catalog | None = None,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else platformdirs.user_data_path(APP_NAME, appauthor=False)
        self.cache_dir = Path(cache_dir if cache_dir is not None else constants.HF_HUB_CACHE).expanduser()
        self.endpoint = endpoint
        self.catalog = catalog if catalog is not None else load_catalog()
        self._free_bytes = free_bytes
        self._registry = Registry(self.data_dir / REGISTRY_FILE)

    # Listing

    def entries(self) -> list[ModelEntry]:
        """Return every catalog model, then every imported file, with its state on disk now."""
        catalog_entries = [self._catalog_entry(model) for model in self.catalog.models]
        return catalog_entries + [self._imported_entry(item) for item in self._registry.imported()]

    def entry(self, model_id: str) -> ModelEntry:
        """Return the entry of ``model_id``; raises UnknownModelError."""
        model = self.catalog.get(model_id)
        if model is not None:
            return self._catalog_entry(model)
        return self._imported_entry(self._imported(model_id))

    def _catalog_entry(self, model: CatalogModel) -> ModelEntry:
        state, path, size_on_disk, size = ABSENT, None, 0, model.size_bytes
        is_estimate = model.size_is_estimate
        if model.source == "embedded":
            path = _embedded_path_or_none()
            if path is not None:
                state, size_on_disk = PRESENT, path.stat().st_size
        else:
            cached = self._cached(model)
            record = self._registry.download_record(model.id)
            if record is not None:
                size, is_estimate = record.size_bytes, False
            path = cached.find()
            if path is not None:
                state, size_on_disk = PRESENT, path.stat().st_size
            elif record is not None and cached.partial_path(record.sha256).exists():
                path = cached.partial_path(record.sha256)
                state, size_on_disk = PARTIAL, path.stat().st_size
        return ModelEntry(
            id=model.id, display_name=model.display_name, architecture=model.architecture, state=state,
            size_bytes=size, size_on_disk=size_on_disk, path=path, license=model.license,
            context_length=model.context_length, prompt_format=model.prompt_format,
            stop_strings=model.stop_strings, muse=model.muse, description=model.description,
            source="embedded" if model.source == "embedded" else "catalog", quantization=model.quantization,
            size_is_estimate=is_estimate, is_default=model.id == self.catalog.default_model,
        )

    def _imported_entry(self, item: ImportedFile) -> ModelEntry:
        path = Path(item.path)
        present = path.is_file()
        return ModelEntry(
            id=item.id, display_name=item.display_name, architecture=item.architecture,
            state=PRESENT if present else ABSENT, size_bytes=item.size_bytes,
            size_on_disk=path.stat().st_size if present else 0, path=path, license="unknown",
            context_length=item.context_length,
            prompt_format="chat-template" if item.has_chat_template else "story",
            stop_strings=(), muse=MuseSettings(), description=f"Imported from {path}", source="imported",
        )

    # Downloads

    def download(
        self,
        model_id: str,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> Path:
        """Make ``model_id`` present and verified, downloading it if needed, and return its path.

        A model already in the cache is returned without any network request (after a hash
        check if the file changed since the last one). ``progress`` is called on this thread.
        Setting ``cancel`` makes this raise DownloadCancelledError within a second. The partial
        file is kept, and the next call resumes it.

        Raises a ModelLibraryError subclass for each failure: UnknownModelError,
        OfflineModeError, HubUnreachableError, HubRepositoryNotFoundError,
        HubFileNotFoundError, HubAccessDeniedError, HubMetadataError, NotEnoughDiskSpaceError,
        DiskFullError, HashMismatchError, CatalogMismatchError, DownloadCancelledError,
        DownloadInProgressError.
        """
        model = self.catalog.get(model_id)
        if model is None:
            return self.path_for(self._imported(model_id).id)
        if model.source == "embedded":
            return self.path_for(model.id)

        cached = self._cached(model)
        found = cached.find()
        if found is not None:
            self._ensure_verified(model, cached, found, progress, cancel)
            return found
        if is_offline_mode():
            raise offline_mode_error(model)
        return self._download_from_hub(model, cached, progress, cancel)

    def _download_from_hub(
        self, model: CatalogModel, cached: CachedHubFile,
        progress: ProgressCallback | None, cancel: threading.Event | None,
    ) -> Path:
        remote = fetch_remote_file(model, self.endpoint)
        self._registry.set_download_record(model.id, DownloadRecord(remote.sha256, remote.size, remote.commit))
        partial = cached.partial_path(remote.sha256)
        if not cached.blob_path(remote.sha256).exists():
            kept = partial.stat().st_size if partial.exists() else 0
            check_disk_space(model, cached.repo_folder, remote.size - kept, self._free_bytes)

        logger.info("downloading %s from %s", model.id, remote.url)
        try:
            run_cancellable(
                lambda report, stop: download_blob(model, cached, remote, report, stop),
                progress, cancel, name=f"download {model.id}",
            )
        except DownloadCancelledError:
            kept = partial.stat().st_size if partial.exists() else 0
            logger.info("download of %s cancelled with %d bytes kept", model.id, kept)
            raise DownloadCancelledError(
                f"the download of {model.id} was cancelled; {format_bytes(kept)} are kept and the next attempt resumes there"
            ) from None

        path = cached.link(remote.sha256, remote.commit)
        self._remember_verified(model.id, DownloadRecord(remote.sha256, remote.size, remote.commit), path)
        return path

    def _ensure_verified(
        self, model: CatalogModel, cached: CachedHubFile, path: Path,
        progress: ProgressCallback | None = None, cancel: threading.Event | None = None,
    ) -> None:
        record = self._registry.download_record(model.id)
        if record is not None and record.is_verified(path):
            return
        expected = _published_sha256(model, path, record)
        logger.info("checking the SHA-256 of %s (%s)", model.id, path)
        try:
            actual = run_cancellable(
                lambda report, stop: hash_file(path, report, stop), progress, cancel, name=f"verify {model.id}"
            )
        except DownloadCancelledError:
            raise DownloadCancelledError(f"the check of {model.id} was cancelled; it runs again next time") from None
        if actual != expected:
            cached.remove(expected)
            self._registry.set_download_record(model.id, None)
            raise HashMismatchError(
                f"the cached file of {model.id} is corrupt: its SHA-256 is {actual} but the Hub published "
                f"{expected}; it was deleted, so download it again"
            )
        size = path.stat().st_size
        same_file = record is not None and record.sha256 == expected
        commit = record.commit if same_file else path.parent.name
        self._remember_verified(model.id, DownloadRecord(expected, size, commit), path)

    def _remember_verified(self, model_id: str, record: DownloadRecord, path: Path) -> None:
        stat = path.stat()
        verified = DownloadRecord(
            record.sha256, record.size_bytes, record.commit,
            verified_path=str(path), verified_size=stat.st_size, verified_mtime_ns=stat.st_mtime_ns,
        )
        self._registry.set_download_record(model_id, verified)

    # Local files

    def path_for(self, model_id: str) -> Path:
        """Return the verified file of ``model_id``.

        Raises UnknownModelError, ModelNotPresentError, or HashMismatchError when a cached
        file changed since it was verified and no longer matches.
        """
        model = self.catalog.get(model_id)
        if model is None:
            item = self._imported(model_id)
            path = Path(item.path)
            if not path.is_file():
                raise ModelNotPresentError(
                    f"the imported file of {model_id} is gone: {path}; import it again from its new place "
                    f"or run: muse-desktop models remove {model_id}"
                )
            return path
        if model.source == "embedded":
            try:
                return embedded_model_path()
            except EmbeddedModelMissingError as error:
                raise ModelNotPresentError(str(error)) from error

        cached = self._cached(model)
        found = cached.find()
        if found is None:
            raise ModelNotPresentError(f"{model_id} is not downloaded; run: muse-desktop models download {model_id}")
        self._ensure_verified(model, cached, found)
        return found

    def import_file(self, path: Path | str) -> ModelEntry:
        """Register the GGUF at ``path`` after checking its header; the file stays where it is.

        Importing a path that is already registered returns its entry. Raises InvalidModelFileError.
        """
        path = Path(os.path.abspath(Path(path).expanduser()))
        imported = self._registry.imported()
        for item in imported:
            if item.path == str(path):
                logger.info("%s is already imported as %s", path, item.id)
                return self._imported_entry(item)
        taken = {model.id for model in self.catalog.models} | {item.id for item in imported}
        item = inspect_import(path, taken)
        self._registry.add_imported(item)
        logger.info("imported %s as %s", path, item.id)
        return self._imported_entry(item)

    def remove(self, model_id: str) -> None:
        """Delete a downloaded model with its partial files, or forget an imported one (its file stays).

        Raises RemoveRejectedError for the embedded model, ModelNotPresentError when a catalog
        model has nothing on disk, UnknownModelError for an unknown id.
        """
        model = self.catalog.get(model_id)
        if model is None:
            self._registry.remove_imported(self._imported(model_id).id)
            logger.info("forgot the imported model %s", model_id)
            return
        if model.source == "embedded":
            raise RemoveRejectedError(f"{model_id} ships with Muse Desktop and cannot be removed")

        cached = self._cached(model)
        record = self._registry.download_record(model_id)
        found = cached.find()
        sha256 = record.sha256 if record is not None else _blob_name(found)
        removed = cached.remove(sha256)
        self._registry.set_download_record(model_id, None)
        if not removed:
            raise ModelNotPresentError(f"{model_id} is not downloaded; there is nothing to remove")
        logger.info("removed %s: %s", model_id, ", ".join(str(path) for path in removed))

    # Helpers

    def _cached(self, model: CatalogModel) -> CachedHubFile:
        assert model.hub is not None
        return CachedHubFile(self.cache_dir, model.hub.repository, model.hub.file, model.hub.revision)

    def _imported(self, model_id: str) -> ImportedFile:
        for item in self._registry.imported():
            if item.id == model_id:
                return item
        raise UnknownModelError(f"unknown model '{model_id}'; run 'muse-desktop models list' to see the ids")


def _published_sha256(model: CatalogModel, path: Path, record: DownloadRecord | None) -> str:
    """Return the SHA-256 the Hub published for a cached file: its blob's name, else the download record's."""
    name = _blob_name(path)
    if name is not None:
        return name
    if record is not None:
        return record.sha256
    raise HubMetadataError(
        f"the cached file {path} of {model.id} cannot be verified because its SHA-256 is unknown; "
        f"run 'muse-desktop models remove {model.id}' and download it again"
    )


def _blob_name(path: Path | None) -> str | None:
    if path is None:
        return None
    name = Path(os.path.realpath(path)).name
    return name if SHA256_PATTERN.match(name) else None


def _embedded_path_or_none() -> Path | None:
    try:
        return embedded_model_path()
    except EmbeddedModelMissingError:
        logger.warning("the embedded model is missing", exc_info=True)
        return None
