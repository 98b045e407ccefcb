"""Reading and checking GGUF file headers before llama.cpp opens the file.

llama.cpp reports a bad file with a generic "failed to load model" and log lines on stderr.
Reading the header here first gives each common problem its own message: an empty file, a
file that is not GGUF (a text file renamed to .gguf), a truncated download, or an
architecture llama.cpp does not support.

The layout follows the GGUF specification (ggml docs/gguf.md): magic "GGUF", a uint32
version, uint64 tensor and metadata counts, the metadata key/value pairs, the tensor infos,
then tensor data aligned to ``general.alignment`` (default 32).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import BinaryIO

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32

# Largest string or array the reader accepts, so that a corrupt length fails fast instead of
# allocating gigabytes. Real vocabularies have about 260,000 entries.
_MAX_STRING_BYTES = 64 * 1024 * 1024
_MAX_ARRAY_ITEMS = 16 * 1024 * 1024

# GGUF metadata value types: scalar type id -> struct format.
_SCALAR_FORMATS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING_TYPE = 8
_ARRAY_TYPE = 9

# ggml tensor type id -> (elements per block, bytes per block), from ggml.h and the gguf
# Python package 0.19.0 (GGML_QUANT_SIZES).
_TENSOR_BLOCK_SIZES = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 40), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
    21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4),
    27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66),
    39: (32, 17), 40: (64, 36), 41: (128, 18),
}


class InvalidGGUFError(ValueError):
    """A file that is not a usable GGUF model; the message describes the problem."""


class UnsupportedArchitectureError(InvalidGGUFError):
    """A well-formed GGUF whose architecture this build of llama.cpp cannot run."""


@dataclass(frozen=True)
class GGUFHeader:
    """Model description read from the header of a GGUF file."""

    path: Path
    version: int
    tensor_count: int
    file_size: int
    metadata: dict[str, object] = field(repr=False)

    @property
    def architecture(self) -> str | None:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else None

    @property
    def name(self) -> str | None:
        value = self.metadata.get("general.name")
        return value if isinstance(value, str) else None

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return value if isinstance(value, int) else None

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) else None


@lru_cache(maxsize=1)
def supported_architectures() -> frozenset[str]:
    """Return the architecture names known to the bundled llama.cpp (llama-cpp-python 0.3.36)."""
    text = resources.files("muse_desktop").joinpath("data/llama_cpp_architectures.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def read_gguf_header(path: str | Path, *, check_architecture: bool = True) -> GGUFHeader:
    """Read and check the header of the GGUF file at ``path``.

    Arrays in the metadata (the vocabulary, for one) are skipped and stored as their length.

    Raises:
        FileNotFoundError: There is no file at ``path``.
        InvalidGGUFError: The file is empty, is not GGUF, has an unknown version, or is truncated.
        UnsupportedArchitectureError: llama.cpp does not know the model's architecture.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file not found: {path}")
    if not path.is_file():
        raise InvalidGGUFError(f"{path} is not a file")
    file_size = path.stat().st_size
    if file_size == 0:
        raise InvalidGGUFError(f"{path} is empty (0 bytes); delete it and download or copy the model again")

    with path.open("rb") as stream:
        magic = stream.read(4)
        if magic != GGUF_MAGIC:
            raise InvalidGGUFError(_describe_wrong_magic(path, magic + stream.read(60)))
        reader = _HeaderReader(stream, path)
        try:
            header = reader.read(file_size)
        except _TruncatedError:
            raise InvalidGGUFError(
                f"{path} is truncated: its header ends early ({file_size} bytes in all); "
                "download or copy the model again"
            ) from None

    if check_architecture:
        architecture = header.architecture
        if architecture is None:
            raise InvalidGGUFError(f"{path} has no general.architecture entry, so llama.cpp cannot load it")
        if architecture not in supported_architectures():
            raise UnsupportedArchitectureError(
                f"{path} is a '{architecture}' model, an architecture llama.cpp in this build does not support"
            )
    return header


def _describe_wrong_magic(path: Path, start: bytes) -> str:
    printable = sum(32 <= byte < 127 or byte in (9, 10, 13) for byte in start)
    if start and printable == len(start):
        return f"{path} is a text file, not a GGUF model (it starts with {start[:24]!r})"
    if start.startswith(b"PK"):
        return f"{path} is a zip archive, not a GGUF model; unpack it first"
    return f"{path} is not a GGUF model: it does not start with the bytes 'GGUF'"


class _TruncatedError(Exception):
    pass


class _HeaderReader:
    def __init__(self, stream: BinaryIO, path: Path) -> None:
        self._stream = stream
        self._path = path

    def read(self, file_size: int) -> GGUFHeader:
        version = self._unpack("<I")
        if version not in SUPPORTED_VERSIONS:
            raise InvalidGGUFError(
                f"{self._path} uses GGUF version {version}; versions {SUPPORTED_VERSIONS} are supported"
            )
        tensor_count = self._unpack("<Q")
        metadata_count = self._unpack("<Q")
        if tensor_count > _MAX_ARRAY_ITEMS or metadata_count > _MAX_ARRAY_ITEMS:
            raise InvalidGGUFError(f"{self._path} has an implausible header (corrupt counts)")

        metadata: dict[str, object] = {}
        for _ in range(metadata_count):
            key = self._string()
            metadata[key] = self._value(self._unpack("<I"))

        data_end = 0
        for _ in range(tensor_count):
            data_end = max(data_end, self._tensor_end())

        alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
        if not isinstance(alignment, int) or alignment <= 0:
            alignment = DEFAULT_ALIGNMENT
        data_start = -(-self._stream.tell() // alignment) * alignment
        if tensor_count and data_start + data_end > file_size:
            raise InvalidGGUFError(
                f"{self._path} is truncated: its tensors need {data_start + data_end} bytes but the file "
                f"has {file_size}; download or copy the model again"
            )
        return GGUFHeader(self._path, version, tensor_count, file_size, metadata)

    def _tensor_end(self) -> int:
        self._string()
        dimension_count = self._unpack("<I")
        if dimension_count > 8:
            raise InvalidGGUFError(f"{self._path} has a tensor with {dimension_count} dimensions (corrupt header)")
        element_count = 1
        for _ in range(dimension_count):
            element_count *= self._unpack("<Q")
        tensor_type = self._unpack("<I")
        offset = self._unpack("<Q")
        # NOTE: a tensor type missing from the table is not checked against the file size.
        block_elements, block_bytes = _TENSOR_BLOCK_SIZES.get(tensor_type, (1, 0))
        return offset + element_count // block_elements * block_bytes

    def _value(self, value_type: int) -> object:
        if value_type in _SCALAR_FORMATS:
            return self._unpack("<" + _SCALAR_FORMATS[value_type])
        if value_type == _STRING_TYPE:
            return self._string()
        if value_type == _ARRAY_TYPE:
            item_type = self._unpack("<I")
            length = self._unpack("<Q")
            if length > _MAX_ARRAY_ITEMS:
                raise InvalidGGUFError(f"{self._path} has an implausible array length {length} (corrupt header)")
            self._skip_array(item_type, length)
            return length
        raise InvalidGGUFError(f"{self._path} has an unknown metadata value type {value_type} (corrupt header)")

    def _skip_array(self, item_type: int, length: int) -> None:
        if item_type in _SCALAR_FORMATS:
            self._read(struct.calcsize("<" + _SCALAR_FORMATS[item_type]) * length)
            return
        for _ in range(length):
            self._value(item_type)

    def _string(self) -> str:
        length = self._unpack("<Q")
        if length > _MAX_STRING_BYTES:
            raise InvalidGGUFError(f"{self._path} has an implausible string length {length} (corrupt header)")
        return self._read(length).decode("utf-8", errors="replace")

    def _unpack(self, layout: str):
        return struct.unpack(layout, self._read(struct.calcsize(layout)))[0]

    def _read(self, size: int) -> bytes:
        data = self._stream.read(size)
        if len(data) != size:
            raise _TruncatedError
        return data
