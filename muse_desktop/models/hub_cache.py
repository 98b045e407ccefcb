"""Paths of one Hub file inside the Hugging Face cache, and the steps that add or remove it.

The layout is huggingface_hub's (documented in its "Manage the cache" guide and used by
huggingface_hub 2.4.0):

    <cache>/models--<owner>--<name>/blobs/<sha256>                 the file, named by its hash
    <cache>/models--<owner>--<name>/snapshots/<commit>/<file>      a relative symlink to the blob
    <cache>/models--<owner>--<name>/refs/<revision>                the commit of a branch or tag
    <cache>/.locks/models--<owner>--<name>/<sha256>.lock           held while the blob is written

Writing the same layout lets `huggingface_hub.try_to_load_from_cache` and `hf_hub_download`
find files this library downloaded, and the other way round.

Partial downloads are kept in blobs/<sha256>.incomplete, so that the next attempt resumes. Files
ending in .incomplete are never read as models.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import try_to_load_from_cache
from huggingface_hub.file_download import repo_folder_name

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".incomplete"


@dataclass(frozen=True)
class CachedHubFile:
    """The cache paths of ``file`` in the model repository ``repository``."""

    cache_dir: Path
    repository: str
    file: str
    revision: str

    @property
    def repo_folder(self) -> Path:
        return self.cache_dir / repo_folder_name(repo_id=self.repository, repo_type="model")

    def blob_path(self, sha256: str) -> Path:
        return self.repo_folder / "blobs" / sha256

    def partial_path(self, sha256: str) -> Path:
        return self.repo_folder / "blobs" / (sha256 + PARTIAL_SUFFIX)

    def lock_path(self, sha256: str) -> Path:
        return self.cache_dir / ".locks" / self.repo_folder.name / f"{sha256}.lock"

    def snapshot_path(self, commit: str) -> Path:
        return self.repo_folder / "snapshots" / commit / Path(*self.file.split("/"))

    def find(self) -> Path | None:
        """Return the cached file for the catalog's revision, or None when it is not cached."""
        found = try_to_load_from_cache(
            self.repository, self.file, cache_dir=self.cache_dir, revision=self.revision, repo_type="model"
        )
        return Path(found) if isinstance(found, str) else None

    def link(self, sha256: str, commit: str) -> Path:
        """Make the verified blob visible as snapshots/<commit>/<file> and record the revision's commit.

        Where the file system has no symlinks, the blob is moved to the snapshot path instead,
        as huggingface_hub does.
        """
        blob = self.blob_path(sha256)
        snapshot = self.snapshot_path(commit)
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        if not snapshot.exists():
            try:
                snapshot.symlink_to(os.path.relpath(blob, snapshot.parent))
            except OSError as error:
                logger.info("symlinks unavailable in %s (%s); moving the blob to %s", self.cache_dir, error, snapshot)
                os.replace(blob, snapshot)
        if self.revision != commit:
            self._write_ref(commit)
        return snapshot

    def _write_ref(self, commit: str) -> None:
        ref = self.repo_folder / "refs" / self.revision
        ref.parent.mkdir(parents=True, exist_ok=True)
        temporary = ref.with_name(ref.name + ".tmp")
        temporary.write_text(commit)
        os.replace(temporary, ref)

    def remove(self, known_sha256: str | None) -> list[Path]:
        """Delete this file from every snapshot, its blobs no other snapshot uses, and partial files.

        Other files of the same repository (other quantizations) are left alone. Returns the
        paths deleted.
        """
        removed: list[Path] = []
        blobs: set[Path] = set()
        snapshots = self.repo_folder / "snapshots"
        for commit_folder in sorted(snapshots.iterdir()) if snapshots.is_dir() else ():
            pointer = commit_folder / Path(*self.file.split("/"))
            if pointer.is_symlink():
                blobs.add(Path(os.path.realpath(pointer)))
            if pointer.is_symlink() or pointer.exists():
                pointer.unlink()
                removed.append(pointer)
        still_used = self._linked_blobs()
        for blob in sorted(blobs - still_used):
            if blob.exists():
                blob.unlink()
                removed.append(blob)
        removed.extend(self._remove_partials(known_sha256))
        return removed

    def _linked_blobs(self) -> set[Path]:
        snapshots = self.repo_folder / "snapshots"
        if not snapshots.is_dir():
            return set()
        return {Path(os.path.realpath(path)) for path in snapshots.rglob("*") if path.is_symlink()}

    def _remove_partials(self, sha256: str | None) -> list[Path]:
        if sha256 is None:
            return []
        blobs = self.repo_folder / "blobs"
        # huggingface_hub 2.4.0 names its own temporary files <sha256>.<8 hex>.incomplete.
        candidates = [self.partial_path(sha256), *blobs.glob(f"{sha256}.*{PARTIAL_SUFFIX}")] if blobs.is_dir() else []
        removed = []
        for path in dict.fromkeys(candidates):
            if path.exists():
                path.unlink()
                removed.append(path)
        return removed
