"""Errors of the model library. Each message is one line: what failed, on which value, and what to do next."""

from __future__ import annotations


class ModelLibraryError(Exception):
    """Base class of every error the model library raises on purpose."""


class CatalogError(ModelLibraryError):
    """The catalog data file is missing, is not valid JSON, or has an invalid entry."""


class RegistryError(ModelLibraryError):
    """The library's own record of imported and verified files cannot be read or written."""


class UnknownModelError(ModelLibraryError, LookupError):
    """A model id that is neither in the catalog nor among the imported files."""


class ModelNotPresentError(ModelLibraryError, LookupError):
    """A known model whose file is not on this computer (not downloaded, or moved away)."""


class InvalidModelFileError(ModelLibraryError):
    """A file that is not a GGUF model llama.cpp can load; the message names the problem."""


class CatalogMismatchError(ModelLibraryError):
    """A catalog entry that does not match what the Hub serves (for example another architecture)."""


class OfflineModeError(ModelLibraryError):
    """HF_HUB_OFFLINE is set and the model is not downloaded yet."""


class HubUnreachableError(ModelLibraryError):
    """The Hub could not be reached (no network, timeout, connection lost) and no cached copy exists."""


class HubRequestError(ModelLibraryError):
    """An HTTP error response from the Hub that none of the more specific errors covers."""


class HubRepositoryNotFoundError(ModelLibraryError):
    """The repository of a model does not exist on the Hub, or is private."""


class HubFileNotFoundError(ModelLibraryError):
    """The repository exists but the model's file or revision does not."""


class HubAccessDeniedError(ModelLibraryError):
    """The Hub refused access: a gated repository, a missing permission or a rejected token."""


class HubMetadataError(ModelLibraryError):
    """A Hub response without the commit, size or SHA-256 needed to download and check the file."""


class NotEnoughDiskSpaceError(ModelLibraryError):
    """The cache folder's disk has less free space than the download needs."""


class DiskFullError(ModelLibraryError):
    """The disk filled up while the file was being written; the partial file is kept for a resume."""


class CacheWriteError(ModelLibraryError):
    """The cache folder cannot be written for a reason other than a full disk (permissions, for one)."""


class HashMismatchError(ModelLibraryError):
    """A file whose SHA-256 differs from the value the Hub publishes; the file has been deleted."""


class DownloadCancelledError(ModelLibraryError):
    """The caller cancelled the download; the partial file is kept for a resume."""


class DownloadInProgressError(ModelLibraryError):
    """Another download of the same file (in this or another process) holds its lock."""


class RemoveRejectedError(ModelLibraryError):
    """A model that cannot be removed, such as the embedded one."""
