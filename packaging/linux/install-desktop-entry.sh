#!/bin/sh
# Add Muse Desktop to the desktop's application menu for the current user.
# Run it from the unpacked folder; run it again after moving the folder. Nothing is installed
# system-wide: the menu entry goes to ~/.local/share/applications and the icon to
# ~/.local/share/icons. Remove both files to undo.
set -eu

folder=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-"$HOME/.local/share"}
applications="$data_home/applications"
icons="$data_home/icons/hicolor/scalable/apps"

if [ ! -x "$folder/muse-desktop" ]; then
    echo "error: $folder/muse-desktop is missing; run this script from the unpacked Muse Desktop folder" >&2
    exit 1
fi

# The desktop entry format gives these characters special meaning inside Exec (quoting, field
# codes such as %F), and "|" or "&" would change the sed expression below.
case "$folder" in
    *'"'* | *'`'* | *'$'* | *'\'* | *'%'* | *'|'* | *'&'*)
        echo "error: the folder path $folder contains one of \" \` \$ \\ % | &; move the folder and run this again" >&2
        exit 1
        ;;
esac

mkdir -p "$applications" "$icons"
cp "$folder/muse-desktop.svg" "$icons/muse-desktop.svg"
# The Exec key needs an absolute path, quoted because the folder may contain spaces.
sed "s|^Exec=muse-desktop|Exec=\"$folder/muse-desktop\"|" "$folder/muse-desktop.desktop" \
    > "$applications/muse-desktop.desktop"
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database "$applications" || true
fi
echo "added $applications/muse-desktop.desktop and $icons/muse-desktop.svg"
