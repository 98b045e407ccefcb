"""Rules that keep the PyInstaller build lean, imported by muse-desktop.spec.

PyInstaller collects every plugin of each Qt module that is imported and every library those
plugins link to. A desktop writing app needs only the windowing plugins (xcb, wayland, plus
offscreen for tests), so the rest, and the libraries only they need, are left out.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

# Qt plugins for embedded devices, network status, TLS and rare image formats. Paths are the
# destinations inside the build, with "/" separators.
UNUSED_QT_PLUGINS = re.compile(
    r"/Qt/plugins/("
    r"platforms/lib(qeglfs|qlinuxfb|qminimal|qminimalegl|qvnc|qvkkhrdisplay)\.so"
    r"|egldeviceintegrations/|generic/|networkinformation/|tls/"
    # The GTK 3 theme needs the desktop's own GTK libraries, and mixing those with the cairo and
    # pango copies it would pull into the build is a known source of crashes.
    r"|platformthemes/libqgtk3\.so"
    r"|imageformats/lib(qtga|qtiff|qwbmp|qwebp)\.so"
    r")"
)
# llama.cpp's runtime CPU selection (GGML_CPU_ALL_VARIANTS) picks this AMX variant on every CPU
# that advertises AMX, even where the kernel or hypervisor has not enabled AMX for programs. It
# then dies with SIGILL at the first matrix product (seen on a Xeon VM with amx_tile in
# /proc/cpuinfo), so it is left out and such CPUs get the AVX-512 variants instead.
UNSAFE_CPU_VARIANT = re.compile(r"llama_cpp/lib/(lib)?ggml-cpu-sapphirerapids\.(so|dll|dylib)$")
# A wheel stores libllama.so, libllama.so.0 and libllama.so.0.5.0 as three full copies. ctypes
# opens the unversioned name and the dynamic loader the SONAME (.so.0), so the third is unused.
FULL_VERSION_COPY = re.compile(r"llama_cpp/lib/[^/]+\.so\.\d+\.\d+\.\d+$")
# Folders whose shared libraries are loaded only because another library links to them.
LINKED_ONLY = re.compile(r"^([^/]+|PySide6/Qt/lib/[^/]+)$")
# Loaded by PyInstaller's bootloader with dlopen(), so no other library lists it.
ALWAYS_KEPT = re.compile(r"^libpython\d")


def destination(entry: tuple) -> str:
    return entry[0].replace("\\", "/")


def is_wanted(entry: tuple) -> bool:
    """Tell whether a collected (destination, source, type) entry belongs in the build."""
    path = "/" + destination(entry)
    if UNUSED_QT_PLUGINS.search(path) or FULL_VERSION_COPY.search(path) or UNSAFE_CPU_VARIANT.search(path):
        return False
    # Qt's translations only localize Qt's own dialogs; the app's texts are English.
    return "/Qt/translations/" not in path


def linked_library_names(path: str) -> set[str]:
    """Return the file names of every library ``path`` links to, directly or not (from ldd)."""
    completed = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
    return {line.split("=>")[0].strip() for line in completed.stdout.splitlines() if "=>" in line}


def prune_unlinked_libraries(binaries: list[tuple]) -> list[tuple]:
    """Drop the libraries that only left-out plugins linked to (Linux only, needs ldd).

    NOTE: a library that some code opens with dlopen() by name, rather than links to, would be
    dropped too. Only the self-test and the window check of `make bundle-check` would catch that.
    """
    if not sys.platform.startswith("linux") or shutil.which("ldd") is None:
        return binaries
    # Python extension modules (type "EXTENSION") and libraries in package folders are imported
    # or opened by code, so they stay along with everything they link to.
    roots = [entry for entry in binaries if entry[2] != "BINARY" or not LINKED_ONLY.match(destination(entry))]
    needed: set[str] = set()
    for entry in roots:
        needed |= linked_library_names(entry[1])

    kept = []
    for entry in binaries:
        name = destination(entry).rsplit("/", 1)[-1]
        if entry in roots or name in needed or ALWAYS_KEPT.match(name):
            kept.append(entry)
        else:
            print(f"bundle_filter: leaving out {destination(entry)}, which no kept file links to")
    return kept
