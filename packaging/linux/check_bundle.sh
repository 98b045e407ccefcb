#!/usr/bin/env bash
# Build the Linux bundle from a clean clone of the committed HEAD and check the archive as a
# user would get it. The check unpacks it and runs `muse-desktop --self-test` with no network
# at all. Then it opens the main window under Xvfb long enough to take a screenshot.
#
# Usage: packaging/linux/check_bundle.sh [RESULT_FOLDER]   (default: build/bundle-check)
# Needs: git, make, Xvfb with xvfb-run, and unshare (util-linux) for the offline run. The
# llama-cpp-python wheel comes from the cache that `make install` fills, so the clone does not
# compile llama.cpp again when the CMake flags match.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
results=$(realpath -m "${1:-$root/build/bundle-check}")
window_seconds=${WINDOW_SECONDS:-60}
mkdir -p "$results"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for tool in git make xvfb-run unshare; do
    if ! command -v "$tool" >/dev/null; then
        echo "error: $tool is not installed; it is needed to check the bundle" >&2
        exit 1
    fi
done
log() { echo "[$(date -u +%H:%M:%S)] $*"; }

log "cloning $(git -C "$root" rev-parse --short HEAD) into a clean checkout"
git clone --quiet --no-hardlinks "$root" "$scratch/source"

log "building the bundle (log: $results/build.log)"
start=$(date +%s)
if ! make -C "$scratch/source" bundle >"$results/build.log" 2>&1; then
    tail -20 "$results/build.log" >&2
    echo "error: the bundle build failed; see $results/build.log" >&2
    exit 1
fi
log "built in $(( $(date +%s) - start )) s"
archive=$(ls "$scratch"/source/dist/muse-desktop-*-linux-*.tar.gz)
cp "$archive" "$results/"

mkdir "$scratch/unpacked"
tar -C "$scratch/unpacked" -xzf "$archive"
app=$(ls -d "$scratch"/unpacked/muse-desktop-*)

log "running the self-test offline (a new network namespace with no interfaces)"
# HOME points into the scratch folder so the run neither reads nor writes the user's settings.
if ! env -i PATH=/usr/bin:/bin HOME="$scratch/home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 \
        unshare --net "$app/muse-desktop" --self-test 2>&1 | tee "$results/self-test.txt"; then
    echo "error: the self-test of the unpacked bundle failed" >&2
    exit 1
fi

log "opening the main window under Xvfb (up to $window_seconds s)"
screenshot="$results/window.png"
xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" \
    bash "$scratch/source/packaging/linux/open_window.sh" "$app" "$scratch/source/build/bundle-venv/bin/python" \
    "$screenshot" "$window_seconds" 2>&1 | tee "$results/window.txt" || {
    echo "error: the main window of the unpacked bundle did not open; see $results/window.txt" >&2
    exit 1
}

{
    echo "commit: $(git -C "$root" rev-parse HEAD)"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "archive: $(basename "$archive") $(du -h "$archive" | cut -f1)"
    echo "unpacked: $(du -sh "$app" | cut -f1)"
} | tee "$results/summary.txt"
log "bundle check passed; results in $results"
