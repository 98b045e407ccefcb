"""Capabilities of the installed llama.cpp build: GPU offload, and on which backend."""

from __future__ import annotations

import ctypes
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import llama_cpp
from llama_cpp import llama_cpp as bindings
from llama_cpp._ctypes_extensions import load_shared_library

logger = logging.getLogger(__name__)

# Backend names as llama_print_system_info() prints them, mapped to the names shown to writers.
_GPU_BACKENDS = {"CUDA": "CUDA", "METAL": "Metal", "VULKAN": "Vulkan", "HIP": "ROCm", "SYCL": "SYCL", "OPENCL": "OpenCL"}


@dataclass(frozen=True)
class BuildInfo:
    """Capabilities of the llama.cpp library that llama-cpp-python loaded."""

    llama_cpp_python_version: str
    gpu_offload_supported: bool
    gpu_backend: str | None
    system_info: str

    @property
    def backend(self) -> str:
        """Backend that offloaded layers run on, or "CPU"."""
        return self.gpu_backend if self.gpu_offload_supported and self.gpu_backend else "CPU"


def _ggml_library() -> ctypes.CDLL:
    """Return a ctypes handle for the ggml library that libllama itself uses.

    On Linux and macOS a lookup through libllama's handle also searches the libraries it links
    to. Opening libggml.so by path instead could load a second copy, because a wheel stores
    libggml.so and libggml.so.0 as two files, and backends loaded into that copy stay invisible
    to libllama. Windows has one ggml.dll, and lookups through llama.dll do not reach it.
    """
    if hasattr(bindings._lib, "ggml_backend_load_all_from_path"):
        return bindings._lib
    return load_shared_library("ggml", Path(bindings._base_path))


def _backend_folders() -> list[Path]:
    """Return the folders that may contain backend libraries such as libggml-cpu-haswell.so.

    A frozen build keeps them next to libllama. A llama-cpp-python 0.3.36 wheel built with
    GGML_BACKEND_DL=ON installs them into site-packages/bin instead.
    """
    folders = [Path(bindings._base_path), Path(llama_cpp.__file__).resolve().parent.parent / "bin"]
    return [folder for folder in folders if folder.is_dir()]


@lru_cache(maxsize=1)
def load_dynamic_backends() -> int:
    """Load llama.cpp's backend libraries if it was built with GGML_BACKEND_DL=ON; return the backend count.

    Such a build links no backend into libggml. ggml_backend_load_all_from_path() loads each
    libggml-*.so in a folder, and for the CPU it picks the variant (haswell, icelake and so
    on, with GGML_CPU_ALL_VARIANTS=ON) that scores best on this processor. llama-cpp-python 0.3.36
    does not call it, and a build with the backends linked in needs no call.
    """
    libggml = _ggml_library()
    libggml.ggml_backend_reg_count.restype = ctypes.c_size_t
    libggml.ggml_backend_reg_count.argtypes = []
    count = libggml.ggml_backend_reg_count()
    if count > 0:
        return count

    libggml.ggml_backend_load_all_from_path.restype = None
    libggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    for folder in _backend_folders():
        libggml.ggml_backend_load_all_from_path(str(folder).encode())
        count = libggml.ggml_backend_reg_count()
        if count > 0:
            logger.info("loaded %d llama.cpp backends from %s", count, folder)
            return count
    logger.error("no llama.cpp backend library was found in %s", " or ".join(map(str, _backend_folders())))
    return count


@lru_cache(maxsize=1)
def build_info() -> BuildInfo:
    """Return what this llama.cpp build supports, read once from the library itself."""
    load_dynamic_backends()
    system_info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").strip()
    # The string lists each compiled backend as "NAME : feature = value | ...".
    names = re.findall(r"(?:^|\|)\s*([A-Za-z0-9_]+) :", system_info)
    gpu_backend = next((_GPU_BACKENDS[name.upper()] for name in names if name.upper() in _GPU_BACKENDS), None)
    info = BuildInfo(
        llama_cpp_python_version=llama_cpp.__version__,
        gpu_offload_supported=bool(llama_cpp.llama_supports_gpu_offload()),
        gpu_backend=gpu_backend,
        system_info=system_info,
    )
    logger.debug("llama.cpp build: %s", info)
    return info
