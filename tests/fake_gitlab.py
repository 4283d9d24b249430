"""A fake GitLab REST API (v4): a real HTTP server on 127.0.0.1 with GitLab's shapes.

Implements what mlgate calls, with the shapes of GitLab's API documentation: `GET /user`;
a merge request (`GET /projects/:id/merge_requests/:iid`, with `sha` the source branch's head);
its notes, paginated like GitLab (`page`/`per_page`, the `X-Page`, `X-Per-Page`, `X-Next-Page`,
`X-Prev-Page`, `X-Total`, `X-Total-Pages` headers and a `Link` header), created, edited (only by
their author) and deleted; commit statuses (`POST /projects/:id/statuses/:sha`); Markdown
uploads (`POST /projects/:id/uploads`, multipart). Quirks kept:
- the token travels in `PRIVATE-TOKEN`; an unknown token gets 401 `{"message": "401 Unauthorized"}`;
- a token with the `read_api` scope only gets 403 `insufficient_scope` on every write;
- an unknown project or merge request gets 404 `{"message": "404 Project Not Found"}`;
- a note over 1,000,000 characters gets 400 `{"message": {"note": ["is too long ..."]}}`;
- `max_per_page` caps `per_page` (GitLab caps it at 100), so tests reach several pages cheaply;
- faults can be queued per route: a status code, headers (`Retry-After`), N times.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

NOTE_LIMIT = 1_000_000
PROJECT_ID = 42
PROJECT_PATH = "ml-team/model"


@dataclass
class User:
    id: int
    username: str
    scopes: tuple[str, ...] = ("api",)
    bot: bool = True


@dataclass
class Fault:
    method: str
    pattern: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class State:
    tokens: dict[str, User]
    project_id: int = PROJECT_ID
    max_per_page: int = 100
    mrs: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # notes someone else deletes just before mlgate's edit of them arrives (the listing saw
    # them): the edit answers 404, as GitLab does for a deleted note
    vanish: set[int] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def add_mr(self, iid: int, sha: str, *, source: str = "feature", target: str = "main") -> None:
        self.mrs[iid] = {"iid": iid, "sha": sha, "source_branch": source, "target_branch": target}
        self.notes.setdefault(iid, [])

    def add_note(self, iid: int, body: str, user: User, *, system: bool = False) -> dict[str, Any]:
        note = {"id": next(self.ids), "body": body, "author": user, "system": system}
        self.notes.setdefault(iid, []).append(note)
        return note

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.faults.append(
            Fault(method, pattern, status, body or {"message": f"{status}"}, headers or {}, times)
        )


class Handler(BaseHTTPRequestHandler):
    server: FakeGitLab
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def _handle(self, method: str) -> None:
        state = self.server.state
        parsed = urlparse(self.path)
        path, query = parsed.path, parse_qs(parsed.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with state.lock:
            state.requests.append((method, path))
            fault = next(
                (
                    f
                    for f in state.faults
                    if f.times > 0 and f.method == method and re.search(f.pattern, path)
                ),
                None,
            )
            if fault is not None:
                fault.times -= 1
        if fault is not None:
            self._send(fault.status, fault.body, fault.headers)
            return
        user = state.tokens.get(self.headers.get("PRIVATE-TOKEN", ""))
        if user is None:
            self._send(401, {"message": "401 Unauthorized"})
            return
        if method != "GET" and "api" not in user.scopes:
            self._send(
                403,
                {
                    "error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than "
                    "provided by the access token.",
                    "scope": "api",
                },
            )
            return
        for route_method, pattern, name in ROUTES:
            m = re.fullmatch(pattern, path)
            if route_method == method and m:
                args = m.groups()
                if name != "get_user" and args[0] not in (
                    str(state.project_id),
                    PROJECT_PATH.replace("/", "%2F"),
                ):
                    self._send(404, {"message": "404 Project Not Found"})
                    return
                with state.lock:
                    getattr(self, name)(user, raw, query, *args[1:] if name != "get_user" else ())
                return
        self._send(404, {"message": "404 Not Found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- shapes -----------------------------------------------------------------------------
    def _user_json(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "username": user.username,
            "name": user.username,
            "state": "active",
            "bot": user.bot,
            "web_url": self._url(f"/{user.username}"),
        }

    def _mr_json(self, mr: dict[str, Any]) -> dict[str, Any]:
        iid = mr["iid"]
        return {
            "id": 5000 + iid,
            "iid": iid,
            "project_id": self.server.state.project_id,
            "title": "Better model",
            "state": "opened",
            "source_branch": mr["source_branch"],
            "target_branch": mr["target_branch"],
            "sha": mr["sha"],
            "merge_commit_sha": None,
            "web_url": self._url(f"/{PROJECT_PATH}/-/merge_requests/{iid}"),
            "diff_refs": {"base_sha": "b" * 40, "head_sha": mr["sha"], "start_sha": "b" * 40},
        }

    def _note_json(self, iid: int, note: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": note["id"],
            "type": None,
            "body": note["body"],
            "author": self._user_json(note["author"]),
            "created_at": "2026-11-24T05:00:00.000Z",
            "updated_at": "2026-11-24T05:00:00.000Z",
            "system": note["system"],
            "noteable_id": 5000 + iid,
            "noteable_type": "MergeRequest",
            "noteable_iid": iid,
            "project_id": self.server.state.project_id,
            "resolvable": False,
            "confidential": False,
            "internal": False,
        }

    def _form(self, raw: bytes) -> dict[str, Any]:
        if "json" in self.headers.get("Content-Type", ""):
            return json.loads(raw or b"{}")  # type: ignore[no-any-return]
        return {k: v[0] for k, v in parse_qs(raw.decode()).items()}

    # -- routes -----------------------------------------------------------------------------
    def get_user(self, user: User, raw: bytes, query: Any) -> None:
        self._send(200, self._user_json(user))

    def _mr(self, iid: str) -> dict[str, Any] | None:
        mr = self.server.state.mrs.get(int(iid))
        if mr is None:
            self._send(404, {"message": "404 Not found"})
        return mr

    def get_mr(self, user: User, raw: bytes, query: Any, iid: str) -> None:
        mr = self._mr(iid)
        if mr is not None:
            self._send(200, self._mr_json(mr))

    def list_notes(self, user: User, raw: bytes, query: Any, iid: str) -> None:
        if self._mr(iid) is None:
            return
        notes = self.server.state.notes[int(iid)]
        if query.get("sort", ["desc"])[0] == "desc":
            notes = list(reversed(notes))
        per_page = min(int(query.get("per_page", ["20"])[0]), self.server.state.max_per_page)
        page = int(query.get("page", ["1"])[0])
        pages = max(1, -(-len(notes) // per_page))
        chunk = notes[(page - 1) * per_page : page * per_page]
        path = f"/api/v4/projects/{self.server.state.project_id}/merge_requests/{iid}/notes"

        def link(n: int) -> str:
            q = {k: v[0] for k, v in query.items() if k not in ("page", "per_page")}
            return self._url(f"{path}?{urlencode({**q, 'page': n, 'per_page': per_page})}")

        links = [f'<{link(1)}>; rel="first"', f'<{link(pages)}>; rel="last"']
        if page < pages:
            links.insert(0, f'<{link(page + 1)}>; rel="next"')
        if page > 1:
            links.insert(0, f'<{link(page - 1)}>; rel="prev"')
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Total": str(len(notes)),
            "X-Total-Pages": str(pages),
            "Link": ", ".join(links),
        }
        self._send(200, [self._note_json(int(iid), n) for n in chunk], headers)

    def create_note(self, user: User, raw: bytes, query: Any, iid: str) -> None:
        if self._mr(iid) is None:
            return
        body = self._form(raw).get("body")
        if not isinstance(body, str) or not body:
            self._send(400, {"message": "400 Bad request - body is missing"})
            return
        if len(body) > NOTE_LIMIT:
            self._send(400, {"message": {"note": ["is too long (maximum is 1000000 characters)"]}})
            return
        note = self.server.state.add_note(int(iid), body, user)
        self._send(201, self._note_json(int(iid), note))

    def _note(self, iid: str, nid: str) -> dict[str, Any] | None:
        found = next(
            (n for n in self.server.state.notes.get(int(iid), []) if n["id"] == int(nid)), None
        )
        if found is None:
            self._send(404, {"message": "404 Note Not Found"})
        return found

    def edit_note(self, user: User, raw: bytes, query: Any, iid: str, nid: str) -> None:
        if int(nid) in self.server.state.vanish:
            self.server.state.notes[int(iid)] = [
                n for n in self.server.state.notes[int(iid)] if n["id"] != int(nid)
            ]
        note = self._note(iid, nid)
        if note is None:
            return
        if note["author"].id != user.id:
            self._send(403, {"message": "403 Forbidden"})
            return
        body = self._form(raw).get("body")
        if not isinstance(body, str) or len(body) > NOTE_LIMIT:
            self._send(400, {"message": {"note": ["is too long (maximum is 1000000 characters)"]}})
            return
        note["body"] = body
        self._send(200, self._note_json(int(iid), note))

    def delete_note(self, user: User, raw: bytes, query: Any, iid: str, nid: str) -> None:
        note = self._note(iid, nid)
        if note is None:
            return
        if note["author"].id != user.id:
            self._send(403, {"message": "403 Forbidden"})
            return
        self.server.state.notes[int(iid)].remove(note)
        self._send(204)

    def create_status(self, user: User, raw: bytes, query: Any, sha: str) -> None:
        data = self._form(raw)
        if data.get("state") not in ("pending", "running", "success", "failed", "canceled"):
            self._send(400, {"message": "400 Bad request - state does not have a valid value"})
            return
        status = {
            "id": next(self.server.state.ids),
            "sha": sha,
            "ref": data.get("ref"),
            "status": data["state"],
            "name": data.get("name") or data.get("context") or "default",
            "target_url": data.get("target_url"),
            "description": data.get("description"),
            "author": self._user_json(user),
            "allow_failure": False,
        }
        self.server.state.statuses.append(status)
        self._send(201, status)

    def upload(self, user: User, raw: bytes, query: Any) -> None:
        m = re.search(rb'name="file"; filename="([^"]+)"', raw)
        if m is None:
            self._send(400, {"message": "400 Bad request - file is missing"})
            return
        name = m.group(1).decode()
        secret = hashlib.md5(raw, usedforsecurity=False).hexdigest()
        url = f"/uploads/{secret}/{name}"
        answer = {
            "id": next(self.server.state.ids),
            "alt": name.rsplit(".", 1)[0],
            "url": url,
            "full_path": f"/-/project/{self.server.state.project_id}{url}",
            "markdown": f"![{name.rsplit('.', 1)[0]}]({url})",
        }
        self.server.state.uploads.append({**answer, "size": len(raw)})
        self._send(201, answer)


P = r"/api/v4/projects/([^/]+)"
ROUTES = [
    ("GET", r"/api/v4/user", "get_user"),
    ("GET", P + r"/merge_requests/(\d+)", "get_mr"),
    ("GET", P + r"/merge_requests/(\d+)/notes", "list_notes"),
    ("POST", P + r"/merge_requests/(\d+)/notes", "create_note"),
    ("PUT", P + r"/merge_requests/(\d+)/notes/(\d+)", "edit_note"),
    ("DELETE", P + r"/merge_requests/(\d+)/notes/(\d+)", "delete_note"),
    ("POST", P + r"/statuses/([0-9a-f]+)", "create_status"),
    ("POST", P + r"/uploads", "upload"),
]


class FakeGitLab(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGitLab:
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def mr_pipeline_environment(
    server: FakeGitLab,
    *,
    project_dir: str,
    head_sha: str,
    commit_sha: str | None = None,
    iid: int = 7,
    token: str | None = None,
) -> dict[str, str]:
    """The `CI_*` variables a GitLab runner sets for a merge-request pipeline job. With
    `commit_sha` (a merged-results pipeline) CI_COMMIT_SHA is GitLab's merge commit and the
    MR's own head is in CI_MERGE_REQUEST_SOURCE_BRANCH_SHA."""
    env = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_SERVER_URL": server.url,
        "CI_API_V4_URL": f"{server.url}/api/v4",
        "CI_PROJECT_ID": str(server.state.project_id),
        "CI_PROJECT_PATH": PROJECT_PATH,
        "CI_PROJECT_DIR": project_dir,
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_PIPELINE_ID": "900",
        "CI_JOB_ID": "901",
        "CI_JOB_URL": f"{server.url}/{PROJECT_PATH}/-/jobs/901",
        "CI_JOB_TOKEN": "job-token-cannot-post-notes",
        "CI_COMMIT_SHA": commit_sha or head_sha,
        "CI_COMMIT_REF_NAME": "feature",
        "CI_MERGE_REQUEST_IID": str(iid),
        "CI_MERGE_REQUEST_PROJECT_ID": str(server.state.project_id),
        "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": str(server.state.project_id),
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": "b" * 40,
        "CI_MERGE_REQUEST_EVENT_TYPE": "merged_result" if commit_sha else "detached",
        # tests: no backoff between retries
        "MLGATE_GITLAB_BACKOFF": "0",
        "MLGATE_GITLAB_TIMEOUT": "5",
    }
    if commit_sha:
        env["CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"] = head_sha
    if token:
        env["MLGATE_GITLAB_TOKEN"] = token
    return env
