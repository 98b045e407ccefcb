"""The machine and software versions a benchmark ran on, for the report's header."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path

from muse_desktop.engine import build_info


def cpu_model() -> str:
    """Return the CPU's model name from /proc/cpuinfo, or the platform's processor string."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def memory_total_gib() -> float:
    """Return the machine's total memory in GiB from /proc/meminfo (0 when unknown)."""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1024 * 1024)  # the kernel reports kB
    return 0.0


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def describe_environment() -> dict[str, str]:
    """Return the machine, operating system and package versions as labelled strings."""
    build = build_info()
    return {
        "CPU": cpu_model(),
        "CPU cores available": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "Memory": f"{memory_total_gib():.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "NumPy": package_version("numpy"),
        "llama-cpp-python": build.llama_cpp_python_version,
        "llama.cpp backend": f"{build.backend} (GPU offload {'supported' if build.gpu_offload_supported else 'not built in'})",
        "torch": package_version("torch"),
        "transformers": package_version("transformers"),
        # libgomp's idle threads spin between llama.cpp calls unless this is PASSIVE. On a
        # busy 2-core machine PASSIVE made the embedded model 3 to 4 times faster.
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "unset (OpenMP's default)"),
    }
