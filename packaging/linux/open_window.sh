#!/usr/bin/env bash
# Start the app from an unpacked bundle on the current X display, take a screenshot once its
# window is drawn, check that it is still running, and close it. check_bundle.sh runs this
# under xvfb-run.
#
# Usage: open_window.sh APP_FOLDER SCREENSHOT_PYTHON OUTPUT.png TIMEOUT_SECONDS
set -euo pipefail

if [ $# -ne 4 ]; then
    echo "usage: $0 APP_FOLDER SCREENSHOT_PYTHON OUTPUT.png TIMEOUT_SECONDS" >&2
    exit 2
fi
app=$1
python=$2
output=$3
timeout=$4
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT

# The app runs in a network namespace with no interface up, as in the self-test. It still
# reaches the X server through the server's socket file in /tmp/.X11-unix.
env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 DISPLAY="$DISPLAY" XAUTHORITY="${XAUTHORITY:-}" \
    QT_QPA_PLATFORM=xcb HF_HUB_OFFLINE=1 unshare --net "$app/muse-desktop" >"$home/app.log" 2>&1 &
pid=$!

status=0
"$python" "$(dirname "$0")/screenshot.py" "$output" "$timeout" "$pid" || status=1
if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" && code=0 || code=$?
    echo "error: muse-desktop exited with code $code before the check ended; its output:" >&2
    cat "$home/app.log" >&2
    exit 1
fi
kill "$pid"
wait "$pid" 2>/dev/null || true
exit "$status"
