"""`muse-desktop models list|download|import|remove`: manage the model library from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import TextIO, TypeVar

from muse_desktop.cli.errors import CommandError
from muse_desktop.cli.progress_bar import TerminalProgressBar

T = TypeVar("T")


def add_models_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="list, download, import and remove models",
        description=(
            "Manage the models Muse Desktop can use. Downloads go to the Hugging Face cache "
            "(HF_HUB_CACHE or HF_HOME/hub) and honour HF_ENDPOINT, HF_HUB_OFFLINE and HF_TOKEN."
        ),
    )
    parser.set_defaults(handler=lambda args: parser.error("choose a command: list, download, import or remove"))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=type(parser))

    list_parser = commands.add_parser("list", help="show every model with its state, size and path")
    list_parser.add_argument("--json", action="store_true", help="print one JSON array of models")
    list_parser.set_defaults(handler=run_list)

    download = commands.add_parser(
        "download",
        help="download a catalog model and verify its SHA-256",
        description=(
            "Download a catalog model from the Hugging Face Hub, resuming an interrupted download, "
            "and verify its SHA-256 against the Hub's before it is used. Prints the file's path."
        ),
    )
    download.add_argument("model_id", metavar="ID", help="model id from 'muse-desktop models list'")
    download.add_argument("--quiet", action="store_true", help="do not show the progress bar")
    download.set_defaults(handler=run_download)

    import_parser = commands.add_parser(
        "import", help="register a GGUF file you already have (it stays where it is)",
    )
    import_parser.add_argument("path", metavar="PATH", help="path of a .gguf model file")
    import_parser.set_defaults(handler=run_import)

    remove = commands.add_parser(
        "remove", help="delete a downloaded model, or forget an imported one without deleting its file",
    )
    remove.add_argument("model_id", metavar="ID", help="model id from 'muse-desktop models list'")
    remove.set_defaults(handler=run_remove)


def _run(action: Callable[[], T]) -> T:
    """Call ``action``, turning a model library error into a one-line CommandError."""
    from muse_desktop.models.errors import ModelLibraryError

    try:
        return action()
    except ModelLibraryError as error:
        raise CommandError(str(error)) from error


def _library():
    from muse_desktop.models.library import ModelLibrary

    return ModelLibrary()


def run_list(args: argparse.Namespace, stdout: TextIO = sys.stdout) -> int:
    """Print every model with its state, size on disk and path."""
    entries = _run(lambda: _library().entries())
    if args.json:
        stdout.write(json.dumps([_entry_json(entry) for entry in entries], indent=2) + "\n")
    else:
        stdout.write(format_entries_table(entries))
    return 0


def format_entries_table(entries: list) -> str:
    """Format entries as an aligned table, with a legend for the markers."""
    from muse_desktop.models.progress import format_bytes

    rows = [("ID", "STATE", "SIZE", "ON DISK", "SOURCE", "PATH")]
    for entry in entries:
        rows.append((
            entry.id + (" *" if entry.is_default else ""),
            entry.state,
            ("~" if entry.size_is_estimate else "") + format_bytes(entry.size_bytes),
            format_bytes(entry.size_on_disk),
            entry.source,
            str(entry.path) if entry.path is not None else "-",
        ))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] for row in rows]
    lines.append("* the default model; ~ an estimate until the download starts")
    return "\n".join(lines) + "\n"


def _entry_json(entry) -> dict:
    data = asdict(entry)
    data["path"] = str(entry.path) if entry.path is not None else None
    data["stop_strings"] = list(entry.stop_strings)
    return data


def run_download(args: argparse.Namespace, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    """Download and verify one model, showing a progress bar on stderr, and print its path."""
    bar = None if args.quiet else TerminalProgressBar(stderr, args.model_id)
    try:
        path = _run(lambda: _library().download(args.model_id, progress=bar))
    except KeyboardInterrupt:
        if bar is not None:
            bar.finish()
        stderr.write(f"download of {args.model_id} interrupted; run the same command again to resume\n")
        return 130
    finally:
        if bar is not None:
            bar.finish()
    stdout.write(f"{path}\n")
    return 0


def run_import(args: argparse.Namespace, stdout: TextIO = sys.stdout) -> int:
    """Check and register a GGUF file, and print the id it got."""
    entry = _run(lambda: _library().import_file(args.path))
    stdout.write(f"imported {entry.path} as {entry.id} ({entry.architecture}); use it with --model {entry.id}\n")
    return 0


def run_remove(args: argparse.Namespace, stdout: TextIO = sys.stdout) -> int:
    """Delete a downloaded model or forget an imported one."""
    library = _run(_library)
    entry = _run(lambda: library.entry(args.model_id))
    _run(lambda: library.remove(args.model_id))
    if entry.source == "imported":
        stdout.write(f"forgot {entry.id}; the file {entry.path} was not touched\n")
    else:
        stdout.write(f"deleted {entry.id} and its partial files from the Hugging Face cache\n")
    return 0
