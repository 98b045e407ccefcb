"""Capabilities of the installed llama.cpp build: GPU offload, and on which backend."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import llama_cpp

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


@lru_cache(maxsize=1)
def build_info() -> BuildInfo:
    """Return what this llama.cpp build supports, read once from the library itself."""
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
