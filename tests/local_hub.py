"""A stand-in for the Hugging Face Hub on 127.0.0.1, for the download tests.

It serves the requests huggingface_hub 2.4.0 makes for one file, as the real Hub does for a file
stored with Git LFS:

- HEAD or GET {endpoint}/{owner}/{name}/resolve/{revision}/{file} returns 302 with
  X-Repo-Commit, X-Linked-Etag (the SHA-256), X-Linked-Size and a Location on a second
  server, the "CDN", with another port, so that huggingface_hub reads the metadata from the 302
  itself and does not follow it, as with the Hub's CDN host.
- GET {cdn}/blobs/{sha256} returns the bytes, honouring "Range: bytes=N-" with 206.
- Errors carry the Hub's X-Error-Code header: RepoNotFound, EntryNotFound, GatedRepo.

No Xet headers are sent, so huggingface_hub never tries Xet storage. Each hosted file can be
set to drop the connection part-way, to stall until released, or to serve wrong bytes.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

COMMIT = "0123456789abcdef0123456789abcdef01234567"
RESOLVE_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<revision>[^/]+)/(?P<file>.+)$")
BLOB_PATH = re.compile(r"^/blobs/(?P<sha256>[0-9a-f]{64})$")
WRITE_BLOCK = 64 * 1024


@dataclass
class HostedFile:
    """One file on the local Hub and how it misbehaves."""

    repository: str
    filename: str
    data: bytes
    commit: str = COMMIT
    served_data: bytes | None = None  # bytes sent instead of ``data``, with data's hash in the headers
    drop_after_bytes: int | None = None  # the next GET closes the connection after this many body bytes
    stall_after_bytes: int | None = None  # GETs pause after this many body bytes until ``release`` is set
    linked_etag: str | None = None  # X-Linked-Etag sent instead of the SHA-256, as for a file not in LFS
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class HostedRepository:
    """A repository and its access rule: "public", "gated", "forbidden", or a token it requires."""

    name: str
    access: str = "public"
    token: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    server: str
    method: str
    path: str
    range: str | None
    authorization: str | None


class LocalHub:
    """Two HTTP servers on 127.0.0.1: ``endpoint`` handles resolve requests and the CDN serves the bytes."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], HostedFile] = {}
        self.repositories: dict[str, HostedRepository] = {}
        self.requests: list[RecordedRequest] = []
        self._cdn = _start_server(self, "cdn")
        self._hub = _start_server(self, "hub")
        self.endpoint = f"http://127.0.0.1:{self._hub.server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{self._cdn.server_address[1]}"

    def add_file(self, repository: str, filename: str, data: bytes, **options: object) -> HostedFile:
        self.repositories.setdefault(repository, HostedRepository(repository))
        hosted = HostedFile(repository, filename, data, **options)  # type: ignore[arg-type]
        self.files[(repository, filename)] = hosted
        return hosted

    def set_access(self, repository: str, access: str, token: str | None = None) -> None:
        self.repositories[repository] = HostedRepository(repository, access, token)

    def requests_to(self, server: str, method: str = "GET") -> list[RecordedRequest]:
        return [request for request in self.requests if request.server == server and request.method == method]

    def close(self) -> None:
        for hosted in self.files.values():
            hosted.release.set()
        for server in (self._hub, self._cdn):
            server.shutdown()
            server.server_close()


def _start_server(hub: LocalHub, role: str) -> ThreadingHTTPServer:
    handler = type(f"{role.title()}Handler", (_Handler,), {"hub": hub, "role": role})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name=f"local hub {role}", daemon=True).start()
    return server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: LocalHub
    role: str

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        self.hub.requests.append(RecordedRequest(
            self.role, self.command, self.path, self.headers.get("Range"), self.headers.get("Authorization"),
        ))
        if self.role == "hub":
            self._resolve()
        else:
            self._serve_blob(send_body)

    def _resolve(self) -> None:
        match = RESOLVE_PATH.match(self.path.split("?")[0])
        if match is None:
            return self._error(404, None)
        repository = self.hub.repositories.get(unquote(match["repo"]))
        if repository is None:
            return self._error(404, "RepoNotFound")
        if repository.access == "gated":
            return self._error(403, "GatedRepo", "Access to this model is restricted. You must accept its terms.")
        if repository.access == "forbidden":
            return self._error(403, None)
        if repository.token is not None and self.headers.get("Authorization") != f"Bearer {repository.token}":
            return self._error(401, "GatedRepo", "Access to this model is restricted. You must be authenticated.")
        hosted = self.hub.files.get((repository.name, unquote(match["file"])))
        if hosted is None:
            return self._error(404, "EntryNotFound", commit=COMMIT)
        self.send_response(302)
        self.send_header("Location", f"{self.hub.cdn_url}/blobs/{hosted.sha256}")
        self.send_header("X-Repo-Commit", hosted.commit)
        self.send_header("X-Linked-Etag", f'"{hosted.linked_etag or hosted.sha256}"')
        self.send_header("X-Linked-Size", str(len(hosted.data)))
        self.send_header("ETag", '"1b9c4e5f0a2d3c4b5a69788796a5b4c3d2e1f001"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _error(self, status: int, code: str | None, message: str | None = None, commit: str | None = None) -> None:
        body = (message or "error").encode()
        self.send_response(status)
        if code is not None:
            self.send_header("X-Error-Code", code)
        if message is not None:
            self.send_header("X-Error-Message", message)
        if commit is not None:
            self.send_header("X-Repo-Commit", commit)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve_blob(self, send_body: bool) -> None:
        match = BLOB_PATH.match(self.path.split("?")[0])
        hosted = next((item for item in self.hub.files.values() if match and item.sha256 == match["sha256"]), None)
        if hosted is None:
            return self._error(404, None)
        body = hosted.served_data if hosted.served_data is not None else hosted.data
        start = _range_start(self.headers.get("Range"))
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if send_body:
            self._write_body(hosted, body, start)

    def _write_body(self, hosted: HostedFile, body: bytes, start: int) -> None:
        drop_after = hosted.drop_after_bytes
        hosted.drop_after_bytes = None
        stall_after = hosted.stall_after_bytes
        sent = 0
        position = start
        while position < len(body):
            if drop_after is not None and sent >= drop_after:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if stall_after is not None and sent >= stall_after:
                self.wfile.flush()
                hosted.release.wait(timeout=30)
                stall_after = None
            block = body[position:position + WRITE_BLOCK]
            try:
                self.wfile.write(block)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client cancelled
            sent += len(block)
            position += len(block)


def _range_start(header: str | None) -> int:
    if header is None:
        return 0
    match = re.fullmatch(r"bytes=(\d+)-", header.strip())
    return int(match[1]) if match else 0
