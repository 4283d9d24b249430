"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 with GitHub's shapes and quirks.

Implements the endpoints mlgate calls, with state tests assert on: comments (paginated with
`Link` headers), statuses, check runs, git objects and refs, pull requests. Quirks kept:
- an installation token (the workflow's GITHUB_TOKEN) gets 403 on `GET /user`, and its comments
  are authored by `github-actions[bot]`;
- a read-only token (a fork PR's) gets 403 "Resource not accessible by integration" on every write;
- a comment body over 65,536 characters gets 422; a status description over 140 characters, 422;
- faults can be queued per route: a status code, a body, headers (e.g. `Retry-After`), N times;
  or a broken transport: `kind="reset"` (connection closed without an answer), `"slow"` (an
  answer later than the client's timeout), `"html"` (a proxy's HTML page with the given status),
  `"shape"` (valid JSON of the wrong shape);
- a route can be held (`hold()`): requests wait until the test releases them, to interleave
  two runs deterministically;
- a comment can vanish (`vanish`): deleted by someone else just before an edit of it arrives;
- `export_branch()` writes a branch made through the Git Data API into a real repository, as
  GitHub serves it to `git fetch`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

COMMENT_LIMIT = 65_536
DESCRIPTION_LIMIT = 140


@dataclass
class Token:
    login: str
    installation: bool = True
    read_only: bool = False


@dataclass
class Fault:
    method: str
    pattern: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int
    kind: str = "status"  # status | reset | slow | html | shape
    delay: float = 3.0


@dataclass
class Hold:
    method: str
    pattern: str
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    times: int = 1


@dataclass
class State:
    owner: str = "octo-org"
    repo: str = "octo-repo"
    tokens: dict[str, Token] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    minimized: set[str] = field(default_factory=set)
    # comments someone else deletes just before mlgate's edit of them arrives (the listing saw
    # them): the edit answers 404, as GitHub does for a deleted comment
    vanish: set[int] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1000))  # type: ignore[type-arg]
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    # -- helpers for tests ------------------------------------------------------------------
    def add_pull(
        self,
        number: int,
        head_sha: str,
        head_ref: str = "feature",
        base_ref: str = "main",
        base_sha: str = "0" * 40,
        head_repo: str | None = None,
    ) -> None:
        self.pulls[number] = {
            "number": number,
            "state": "open",
            "head_sha": head_sha,
            "head_ref": head_ref,
            "base_ref": base_ref,
            "base_sha": base_sha,
            "head_repo": head_repo or self.full_name,
        }
        self.comments.setdefault(number, [])

    def add_comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        cid = next(self.ids)
        comment = {"id": cid, "node_id": f"IC_{cid}", "body": body, "login": login}
        self.comments.setdefault(number, []).append(comment)
        return comment

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        times: int = 1,
        message: str = "Server Error",
        headers: dict[str, str] | None = None,
        kind: str = "status",
        delay: float = 3.0,
    ) -> None:
        self.faults.append(
            Fault(method, pattern, status, {"message": message}, headers or {}, times, kind, delay)
        )

    def hold(self, method: str, pattern: str) -> Hold:
        """The next matching request waits (up to 60 s) until `hold.release.set()`."""
        h = Hold(method, pattern)
        self.holds.append(h)
        return h

    def file_at(self, commit_sha: str, path: str) -> bytes | None:
        """Walk a commit's tree like GitHub's `/blob/SHA/path?raw=true` would."""
        tree_sha = self.commits[commit_sha]["tree"]
        for entry in self.trees[tree_sha]:
            if entry["path"] == path:
                return self.blobs[entry["sha"]]
        return None


def _sha(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


class Handler(BaseHTTPRequestHandler):
    server: FakeGitHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, delayed ACKs cost 40 ms each
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing ---------------------------------------------------------------------------
    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-RateLimit-Limit", "5000")
        self.send_header("X-RateLimit-Remaining", "4999")
        self.send_header("X-RateLimit-Reset", "9999999999")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _fault(self, fault: Fault) -> None:
        if fault.kind == "reset":  # close the socket with an RST, no answer
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.close_connection = True
            self.connection.close()
            return
        if fault.kind == "slow":
            time.sleep(fault.delay)
            self.close_connection = True
            self._send(fault.status, fault.body, fault.headers)
            return
        if fault.kind == "html":
            data = b"<html><body><h1>Unicorn!</h1>This page is taking too long.</body></html>"
            self.send_response(fault.status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if fault.kind == "shape":
            self._send(fault.status, {"unexpected": [1, 2, 3]}, fault.headers)
            return
        self._send(fault.status, fault.body, fault.headers)

    def _error(self, status: int, message: str) -> None:
        self._send(
            status, {"message": message, "documentation_url": "https://docs.github.com/rest"}
        )

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def _token(self) -> Token | None:
        auth = self.headers.get("Authorization", "")
        value = auth.split(" ", 1)[1] if " " in auth else ""
        return self.server.state.tokens.get(value)

    def _url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def _handle(self, method: str) -> None:
        state = self.server.state
        parsed = urlparse(self.path)
        path, query = parsed.path, parse_qs(parsed.query)
        body = self._body() if method in ("POST", "PATCH", "PUT") else {}
        hold = None
        with state.lock:
            state.requests.append((method, path))
            for h in state.holds:
                if h.times > 0 and h.method == method and re.search(h.pattern, path):
                    h.times -= 1
                    hold = h
                    break
        if hold is not None:
            hold.arrived.set()
            hold.release.wait(60)
        with state.lock:
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
            self._fault(fault)
            return
        token = self._token()
        if token is None:
            self._error(401, "Bad credentials")
            return
        if method != "GET" and token.read_only:
            self._error(403, "Resource not accessible by integration")
            return
        for route_method, pattern, name in ROUTES:
            if route_method != method:
                continue
            m = re.fullmatch(pattern.replace("{repo}", re.escape(state.full_name)), path)
            if m:
                with state.lock:
                    getattr(self, name)(token, body, query, *m.groups())
                return
        self._error(404, "Not Found")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- shapes -----------------------------------------------------------------------------
    def _repo_json(self) -> dict[str, Any]:
        s = self.server.state
        return {
            "id": 1,
            "name": s.repo,
            "full_name": s.full_name,
            "private": True,
            "owner": {"login": s.owner, "id": 1, "type": "Organization"},
            "url": self._url(f"/repos/{s.full_name}"),
            "html_url": f"https://github.com/{s.full_name}",
            "default_branch": "main",
        }

    def _pull_json(self, pr: dict[str, Any]) -> dict[str, Any]:
        s = self.server.state
        n = pr["number"]
        return {
            "id": n,
            "number": n,
            "state": pr["state"],
            "title": f"PR {n}",
            "url": self._url(f"/repos/{s.full_name}/pulls/{n}"),
            "html_url": f"https://github.com/{s.full_name}/pull/{n}",
            "issue_url": self._url(f"/repos/{s.full_name}/issues/{n}"),
            "head": {
                "ref": pr["head_ref"],
                "sha": pr["head_sha"],
                "repo": {"full_name": pr["head_repo"]},
            },
            "base": {
                "ref": pr["base_ref"],
                "sha": pr["base_sha"],
                "repo": {"full_name": s.full_name},
            },
        }

    def _comment_json(self, number: int, c: dict[str, Any]) -> dict[str, Any]:
        s = self.server.state
        bot = c["login"].endswith("[bot]")
        return {
            "id": c["id"],
            "node_id": c["node_id"],
            "body": c["body"],
            "url": self._url(f"/repos/{s.full_name}/issues/comments/{c['id']}"),
            "html_url": f"https://github.com/{s.full_name}/pull/{number}#issuecomment-{c['id']}",
            "issue_url": self._url(f"/repos/{s.full_name}/issues/{number}"),
            "user": {
                "login": c["login"],
                "id": 41898282 if bot else 1,
                "type": "Bot" if bot else "User",
            },
            "created_at": "2026-11-24T00:00:00Z",
            "updated_at": "2026-11-24T00:00:00Z",
        }

    # -- routes -----------------------------------------------------------------------------
    def get_user(self, token: Token, body: Any, query: Any) -> None:
        if token.installation:
            self._error(403, "Resource not accessible by integration")
        else:
            self._send(200, {"login": token.login, "id": 7, "type": "User"})

    def get_repo(self, token: Token, body: Any, query: Any) -> None:
        self._send(200, self._repo_json())

    def get_pull(self, token: Token, body: Any, query: Any, number: str) -> None:
        pr = self.server.state.pulls.get(int(number))
        if pr is None:
            self._error(404, "Not Found")
        else:
            self._send(200, self._pull_json(pr))

    def list_pulls(self, token: Token, body: Any, query: Any) -> None:
        head = (query.get("head") or [""])[0]
        state = (query.get("state") or ["open"])[0]
        out = []
        for pr in self.server.state.pulls.values():
            owner = pr["head_repo"].split("/")[0]
            if head and head != f"{owner}:{pr['head_ref']}":
                continue
            if state != "all" and pr["state"] != state:
                continue
            out.append(self._pull_json(pr))
        self._send(200, out)

    def commit_pulls(self, token: Token, body: Any, query: Any, sha: str) -> None:
        # Like GitHub: only PRs whose head is in this repository (not forks) are associated.
        s = self.server.state
        self._send(
            200,
            [
                self._pull_json(p)
                for p in s.pulls.values()
                if p["head_sha"] == sha and p["head_repo"] == s.full_name
            ],
        )

    def get_issue(self, token: Token, body: Any, query: Any, number: str) -> None:
        s = self.server.state
        n = int(number)
        if n not in s.pulls:
            self._error(404, "Not Found")
            return
        self._send(
            200,
            {
                "id": n,
                "number": n,
                "title": f"PR {n}",
                "state": "open",
                "url": self._url(f"/repos/{s.full_name}/issues/{n}"),
                "html_url": f"https://github.com/{s.full_name}/pull/{n}",
                "comments_url": self._url(f"/repos/{s.full_name}/issues/{n}/comments"),
                "pull_request": {"url": self._url(f"/repos/{s.full_name}/pulls/{n}")},
            },
        )

    def list_comments(self, token: Token, body: Any, query: Any, number: str) -> None:
        s = self.server.state
        n = int(number)
        items = s.comments.get(n, [])
        per_page = min(int((query.get("per_page") or ["30"])[0]), 100)
        page = int((query.get("page") or ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        base = f"/repos/{s.full_name}/issues/{n}/comments?per_page={per_page}"
        links = []
        if page < last:
            links.append(f'<{self._url(base)}&page={page + 1}>; rel="next"')
            links.append(f'<{self._url(base)}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{self._url(base)}&page={page - 1}>; rel="prev"')
            links.append(f'<{self._url(base)}&page=1>; rel="first"')
        headers = {"Link": ", ".join(links)} if links else {}
        self._send(200, [self._comment_json(n, c) for c in chunk], headers)

    def create_comment(self, token: Token, body: Any, query: Any, number: str) -> None:
        n = int(number)
        text = body.get("body", "")
        if len(text) > COMMENT_LIMIT:
            self._send(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "IssueComment",
                            "code": "custom",
                            "field": "body",
                            "message": "body is too long (maximum is 65536 characters)",
                        }
                    ],
                },
            )
            return
        login = "github-actions[bot]" if token.installation else token.login
        c = self.server.state.add_comment(n, text, login)
        self._send(201, self._comment_json(n, c))

    def edit_comment(self, token: Token, body: Any, query: Any, cid: str) -> None:
        text = body.get("body", "")
        if len(text) > COMMENT_LIMIT:
            self._error(422, "Validation Failed: body is too long (maximum is 65536 characters)")
            return
        for n, comments in self.server.state.comments.items():
            for c in comments:
                if c["id"] == int(cid) and c["id"] in self.server.state.vanish:
                    comments.remove(c)
                    break
                if c["id"] == int(cid):
                    c["body"] = text
                    self._send(200, self._comment_json(n, c))
                    return
        self._error(404, "Not Found")

    def delete_comment(self, token: Token, body: Any, query: Any, cid: str) -> None:
        for comments in self.server.state.comments.values():
            for c in list(comments):
                if c["id"] == int(cid):
                    comments.remove(c)
                    self.send_response(204)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
        self._error(404, "Not Found")

    def graphql(self, token: Token, body: Any, query: Any) -> None:
        subject = (body.get("variables", {}).get("input") or {}).get("subjectId")
        self.server.state.minimized.add(str(subject))
        self._send(200, {"data": {"minimizeComment": {"minimizedComment": {"isMinimized": True}}}})

    def get_commit(self, token: Token, body: Any, query: Any, sha: str) -> None:
        s = self.server.state
        self._send(
            200,
            {
                "sha": sha,
                "url": self._url(f"/repos/{s.full_name}/commits/{sha}"),
                "commit": {"message": "x"},
            },
        )

    def create_status(self, token: Token, body: Any, query: Any, sha: str) -> None:
        desc = body.get("description") or ""
        if len(desc) > DESCRIPTION_LIMIT:
            self._send(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "Status",
                            "code": "custom",
                            "field": "description",
                            "message": "description is too long (maximum is 140 characters)",
                        }
                    ],
                },
            )
            return
        if body.get("state") not in ("error", "failure", "pending", "success"):
            self._error(422, "Validation Failed")
            return
        status = {"id": next(self.server.state.ids), "sha": sha, **body}
        self.server.state.statuses.append(status)
        self._send(
            201, {"url": self._url("/status"), "created_at": "2026-11-24T00:00:00Z", **status}
        )

    def create_check_run(self, token: Token, body: Any, query: Any) -> None:
        if not token.installation:  # the Checks API takes GitHub App tokens only
            self._error(403, "You must authenticate via a GitHub App.")
            return
        summary = (body.get("output") or {}).get("summary") or ""
        if len(summary) > 65_535:
            self._error(
                422,
                "Invalid request. Only 65535 characters are allowed; "
                f"{len(summary)} were supplied.",
            )
            return
        run = {"id": next(self.server.state.ids), **body}
        self.server.state.check_runs.append(run)
        self._send(201, {"url": self._url(f"/check-runs/{run['id']}"), **run})

    def create_blob(self, token: Token, body: Any, query: Any) -> None:
        data = (
            base64.b64decode(body["content"])
            if body.get("encoding") == "base64"
            else (body["content"].encode())
        )
        sha = _sha(b"blob %d\0" % len(data) + data)
        self.server.state.blobs[sha] = data
        self._send(201, {"sha": sha, "url": self._url(f"/git/blobs/{sha}")})

    def get_tree(self, token: Token, body: Any, query: Any, sha: str) -> None:
        entries = self.server.state.trees.get(sha)
        if entries is None:
            self._error(404, "Not Found")
        else:
            self._send(
                200,
                {
                    "sha": sha,
                    "url": self._url(f"/git/trees/{sha}"),
                    "tree": entries,
                    "truncated": False,
                },
            )

    def create_tree(self, token: Token, body: Any, query: Any) -> None:
        s = self.server.state
        entries = {e["path"]: e for e in s.trees.get(body.get("base_tree") or "", [])}
        for e in body["tree"]:
            if e.get("sha") not in s.blobs:
                self._error(422, f"tree.sha {e.get('sha')} is not a valid blob")
                return
            entries[e["path"]] = {
                "path": e["path"],
                "mode": e["mode"],
                "type": "blob",
                "sha": e["sha"],
            }
        tree = sorted(entries.values(), key=lambda e: e["path"])
        sha = _sha(json.dumps(tree).encode())
        s.trees[sha] = tree
        self._send(201, {"sha": sha, "url": self._url(f"/git/trees/{sha}"), "tree": tree})

    def create_commit(self, token: Token, body: Any, query: Any) -> None:
        s = self.server.state
        if body["tree"] not in s.trees:
            self._error(422, "Tree SHA does not exist")
            return
        commit = {
            "tree": body["tree"],
            "parents": body.get("parents", []),
            "message": body["message"],
        }
        sha = _sha(json.dumps(commit, sort_keys=True).encode() + str(next(s.ids)).encode())
        s.commits[sha] = commit
        self._send(201, self._commit_json(sha))

    def _commit_json(self, sha: str) -> dict[str, Any]:
        c = self.server.state.commits[sha]
        return {
            "sha": sha,
            "url": self._url(f"/git/commits/{sha}"),
            "message": c["message"],
            "tree": {"sha": c["tree"], "url": self._url(f"/git/trees/{c['tree']}")},
            "parents": [{"sha": p} for p in c["parents"]],
        }

    def get_git_commit(self, token: Token, body: Any, query: Any, sha: str) -> None:
        if sha not in self.server.state.commits:
            self._error(404, "Not Found")
        else:
            self._send(200, self._commit_json(sha))

    def _ref_json(self, ref: str) -> dict[str, Any]:
        s = self.server.state
        return {
            "ref": f"refs/{ref}",
            "url": self._url(f"/repos/{s.full_name}/git/refs/{ref}"),
            "object": {"sha": s.refs[ref], "type": "commit"},
        }

    def get_ref(self, token: Token, body: Any, query: Any, ref: str) -> None:
        if ref not in self.server.state.refs:
            self._error(404, "Not Found")
        else:
            self._send(200, self._ref_json(ref))

    def create_ref(self, token: Token, body: Any, query: Any) -> None:
        ref = body["ref"].removeprefix("refs/")
        if ref in self.server.state.refs:
            self._error(422, "Reference already exists")
            return
        self.server.state.refs[ref] = body["sha"]
        self._send(201, self._ref_json(ref))

    def update_ref(self, token: Token, body: Any, query: Any, ref: str) -> None:
        s = self.server.state
        if ref not in s.refs:
            self._error(422, "Reference does not exist")
            return
        new = body["sha"]
        if not body.get("force") and s.refs[ref] not in s.commits[new]["parents"]:
            self._error(422, "Update is not a fast forward")
            return
        s.refs[ref] = new
        self._send(200, self._ref_json(ref))


R = r"/repos/{repo}"
ROUTES = [
    ("GET", r"/user", "get_user"),
    ("GET", R, "get_repo"),
    ("GET", R + r"/pulls", "list_pulls"),
    ("GET", R + r"/pulls/(\d+)", "get_pull"),
    ("GET", R + r"/commits/([0-9a-f]+)/pulls", "commit_pulls"),
    ("GET", R + r"/commits/([0-9a-f]+)", "get_commit"),
    ("GET", R + r"/issues/(\d+)", "get_issue"),
    ("GET", R + r"/issues/(\d+)/comments", "list_comments"),
    ("POST", R + r"/issues/(\d+)/comments", "create_comment"),
    ("PATCH", R + r"/issues/comments/(\d+)", "edit_comment"),
    ("DELETE", R + r"/issues/comments/(\d+)", "delete_comment"),
    ("POST", r"/graphql", "graphql"),
    ("POST", R + r"/statuses/([0-9a-f]+)", "create_status"),
    ("POST", R + r"/check-runs", "create_check_run"),
    ("POST", R + r"/git/blobs", "create_blob"),
    ("GET", R + r"/git/trees/([0-9a-f]+)", "get_tree"),
    ("POST", R + r"/git/trees", "create_tree"),
    ("POST", R + r"/git/commits", "create_commit"),
    ("GET", R + r"/git/commits/([0-9a-f]+)", "get_git_commit"),
    ("GET", R + r"/git/ref/(.+)", "get_ref"),
    ("GET", R + r"/git/refs/(.+)", "get_ref"),
    ("POST", R + r"/git/refs", "create_ref"),
    ("PATCH", R + r"/git/refs/(.+)", "update_ref"),
]


class FakeGitHub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that gave up (timeout) or a reset fault: not an error of the fake
        pass

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeGitHub:
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


# -- what a runner hands a container action ---------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
MERGE_SHA = "f" * 40  # what GITHUB_SHA names on pull_request: a merge commit, never the head


def pull_request_payload(
    template: dict[str, Any],
    state: State,
    *,
    number: int,
    head_sha: str,
    head_ref: str,
    base: str = "main",
    head_repo: str | None = None,
) -> dict[str, Any]:
    """A real `pull_request` webhook payload (from tests/data) pointed at this fake's PR."""
    payload = json.loads(json.dumps(template))
    pr = payload["pull_request"]
    payload["number"] = pr["number"] = number
    pr["head"]["sha"], pr["head"]["ref"] = head_sha, head_ref
    pr["head"]["repo"]["full_name"] = head_repo or state.full_name
    pr["base"]["ref"] = base
    payload["repository"]["full_name"] = state.full_name
    return payload


def runner_environment(
    server: FakeGitHub,
    *,
    token: str,
    event_name: str,
    event_path: str,
    workspace: str,
    output: str,
    summary: str,
) -> dict[str, str]:
    """The variables the runner sets for a container action, with every input of action.yml at
    its default (GitHub passes them all as INPUT_<NAME>, hyphens kept)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    env = {
        f"INPUT_{name.upper()}": str(spec["default"]).replace("${{ github.token }}", token)
        for name, spec in action["inputs"].items()
    }
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": event_path,
            "GITHUB_REPOSITORY": server.state.full_name,
            "GITHUB_SHA": MERGE_SHA,
            "GITHUB_BASE_REF": "main",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_API_URL": server.url,
            "GITHUB_WORKSPACE": workspace,
            "GITHUB_OUTPUT": output,
            "GITHUB_STEP_SUMMARY": summary,
            "MLGATE_WRITE_INTERVAL": "0",
            "MLGATE_GITHUB_BACKOFF": "0",
        }
    )
    return env


# -- bundles, as stage one writes them ---------------------------------------------------------
PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def write_bundle(
    path: Path,
    *,
    head_sha: str,
    pr_number: int | None = 7,
    passed: bool = True,
    gates: list[dict[str, Any]] | None = None,
    report: str | None = None,
    name: str | None = None,
) -> Path:
    """A bundle directory shaped like the one `mlgate run` writes (report.md, result.json,
    plots/), for stage-two tests that need no training."""
    gates = (
        gates
        if gates is not None
        else [
            {
                "metric": "acc",
                "outcome": "pass" if passed else "fail",
                "passed": passed,
                "message": "acc rose 0.01" if passed else "acc fell 0.1",
            }
        ]
    )
    (path / "plots").mkdir(parents=True, exist_ok=True)
    (path / "plots" / "loss.png").write_bytes(PNG_1x1)
    icon = "✅" if passed else "❌"
    verdict = "all 1 gate passed" if passed else "1 of 1 gate failed: acc fell 0.1"
    body = report or (
        f"<!-- mlgate:report id=default sha={head_sha} -->\n## {icon} mlgate report: {verdict}\n\n"
        "### Gates\n\n| | Metric | Result |\n|---|---|---|\n| ✅ | acc | fine |\n\n"
        "### Plots\n\n![loss](plots/loss.png)\n"
    )
    (path / "report.md").write_text(body, encoding="utf-8")
    result: dict[str, Any] = {
        "passed": passed,
        "verdict": verdict,
        "gates": gates,
        "github": {
            "repository": "octo-org/octo-repo",
            "pr_number": pr_number,
            "head_sha": head_sha,
        },
    }
    if name:
        result["github"]["name"] = name
    (path / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return path


def workflow_run_payload(template: dict[str, Any], head_sha: str) -> dict[str, Any]:
    payload = json.loads(json.dumps(template))
    payload["workflow_run"]["head_sha"] = head_sha
    return payload


def export_branch(state: State, branch: str, repo: Path) -> str:
    """The fake's `branch` (commits, trees and blobs made through the Git Data API) written into
    the real git repository `repo` as `refs/heads/<branch>`, commit by commit, as GitHub would
    serve it to `git fetch`: what the fake holds is what a clone gets. Returns the tip there."""

    def git(*args: str, data: bytes | None = None) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo, input=data, capture_output=True, check=True
        ).stdout.decode()

    def tree(files: dict[str, str]) -> str:
        entries, dirs = [], {}
        for path, blob in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                dirs.setdefault(head, {})[rest] = blob
            else:
                oid = git("hash-object", "-w", "--stdin", data=state.blobs[blob]).strip()
                entries.append(f"100644 blob {oid}\t{head}")
        entries += [f"040000 tree {tree(sub)}\t{name}" for name, sub in dirs.items()]
        return git("mktree", data=("\n".join(entries) + "\n").encode()).strip()

    chain, sha = [], state.refs[f"heads/{branch}"]
    while sha:
        chain.append(sha)
        parents = state.commits[sha]["parents"]
        sha = parents[0] if parents else ""
    tip = ""
    for fake in reversed(chain):
        commit = state.commits[fake]
        files = {e["path"]: e["sha"] for e in state.trees[commit["tree"]]}
        args = ["commit-tree", tree(files), "-m", commit["message"]]
        tip = git(*args, *(["-p", tip] if tip else [])).strip()
    git("update-ref", f"refs/heads/{branch}", tip)
    return tip
