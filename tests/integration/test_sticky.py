"""The sticky report note (`mlgate.sticky`), tested once against both hosts' real HTTP fakes:
the algorithm is written once above the hosts, so each case runs on GitHub and on GitLab."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from mlgate import sticky
from mlgate.errors import HostError
from mlgate.github import host as github_host
from mlgate.gitlab import host as gitlab_host
from mlgate.hosts import Change
from mlgate.settings import ClientLimits
from mlgate.sticky import Note
from tests import fake_github, fake_gitlab

HEAD = "a" * 40
NEWER = "b" * 40
LIMITS = ClientLimits(retries=2, backoff=0, timeout=5, retry_after_max=5, write_interval=0)
GH_TOKEN = "ghs_installation_token_0123456789"
GL_TOKEN = "glpat-project-token-0123456789"
GL_BOT = fake_gitlab.User(77, "project_42_bot_abc")
GL_SOMEONE = fake_gitlab.User(5, "alice", bot=False)


def marker(sha: str = HEAD, comment_id: str = "default") -> str:
    return f"<!-- mlgate:report id={comment_id} sha={sha} -->\n"


@dataclass
class Side:
    """One host behind the seam, with what a test needs to arrange and read its fake."""

    notes: Any  # the host's note primitives (mlgate.sticky.NoteHost)
    change: Change
    add_note: Callable[[str, bool], int]  # body, ours -> id
    bodies: Callable[[], list[str]]
    ids: Callable[[], list[int]]
    move_head: Callable[[str], None]
    vanish: Callable[[int], None]
    fail: Callable[..., None]  # method, path pattern, status, message; times, headers
    lines: list[str] = field(default_factory=list)


def _github(lines: list[str]) -> Iterator[Side]:
    state = fake_github.State(tokens={GH_TOKEN: fake_github.Token("github-actions[bot]")})
    state.add_pull(5, HEAD)
    server = fake_github.FakeGitHub(state).start()
    site = github_host.Site(
        api_url=server.url, server_url="https://github.com", repository=state.full_name
    )
    host = github_host.build(site, GH_TOKEN, lines.append, LIMITS)

    def add(body: str, ours: bool) -> int:
        return int(state.add_comment(5, body, "github-actions[bot]" if ours else "octocat")["id"])

    def move(sha: str) -> None:
        state.pulls[5]["head_sha"] = sha

    def fail(method: str, pattern: str, status: int, message: str, **kw: Any) -> None:
        state.fail(method, pattern, status, message=message, **kw)

    yield Side(
        host.pub,
        Change(5, HEAD, "main", "https://github.com/octo-org/octo-repo/pull/5"),
        add,
        lambda: [c["body"] for c in state.comments[5]],
        lambda: [c["id"] for c in state.comments[5]],
        move,
        state.vanish.add,
        fail,
        lines,
    )
    server.stop()


def _gitlab(lines: list[str]) -> Iterator[Side]:
    state = fake_gitlab.State(tokens={GL_TOKEN: GL_BOT})
    state.add_mr(7, HEAD)
    server = fake_gitlab.FakeGitLab(state).start()
    project = gitlab_host.Project(api_url=f"{server.url}/api/v4", project_id=42, mr_iid=7)
    host = gitlab_host.build(project, GL_TOKEN, lines.append, LIMITS)

    def add(body: str, ours: bool) -> int:
        return int(state.add_note(7, body, GL_BOT if ours else GL_SOMEONE)["id"])

    def move(sha: str) -> None:
        state.mrs[7]["sha"] = sha

    def fail(method: str, pattern: str, status: int, message: str, **kw: Any) -> None:
        state.fail(method, pattern, status, body={"message": message}, **kw)

    yield Side(
        host,
        Change(7, HEAD, "main", "https://gitlab.example/ml-team/model/-/merge_requests/7"),
        add,
        lambda: [n["body"] for n in state.notes[7]],
        lambda: [n["id"] for n in state.notes[7]],
        move,
        state.vanish.add,
        fail,
        lines,
    )
    server.stop()


@pytest.fixture(params=["github", "gitlab"])
def side(request: pytest.FixtureRequest) -> Iterator[Side]:
    lines: list[str] = []
    yield from (_github if request.param == "github" else _gitlab)(lines)


def upsert(side: Side, body: str, mode: str = "update", head: str = HEAD) -> str | None:
    return sticky.upsert(
        side.notes, side.change, body, comment_id="default", head_sha=head, mode=mode
    )


def test_update_edits_our_oldest_note_and_deletes_our_extras(side: Side) -> None:
    theirs = side.add_note(marker() + "someone else's copy", False)
    first = side.add_note(marker() + "old", True)
    side.add_note(marker() + "older duplicate", True)
    other_id = side.add_note(marker(comment_id="other") + "another report", True)
    url = upsert(side, marker() + "new")
    assert url is not None and str(first) in url
    assert side.ids() == [theirs, first, other_id]
    assert side.bodies()[1] == marker() + "new"


def test_no_note_yet_posts_one(side: Side) -> None:
    url = upsert(side, marker() + "first")
    assert url and side.bodies() == [marker() + "first"]
    assert any(line.startswith(f"posted {side.notes.words.note} ") for line in side.lines)


def test_a_moved_head_writes_nothing(side: Side) -> None:
    side.add_note(marker() + "old", True)
    side.move_head(NEWER)
    assert upsert(side, marker() + "stale") is None
    assert side.bodies() == [marker() + "old"]
    assert any("head is now bbbbbbb" in line for line in side.lines)


def test_a_note_deleted_before_its_edit_is_posted_again(side: Side) -> None:
    gone = side.add_note(marker() + "old", True)
    side.vanish(gone)
    url = upsert(side, marker() + "new")
    assert url and marker() + "new" in side.bodies()
    assert any(f"{gone} was deleted before it could be updated" in line for line in side.lines)


def test_a_concurrent_duplicate_is_merged_into_the_oldest(side: Side) -> None:
    """Another run posts its note between our listing and our post: ours is deleted and the
    older one carries our body."""
    real_create = side.notes.create_note
    raced: list[int] = []

    def create_after_a_rival(change: Change, body: str) -> Note:
        raced.append(side.add_note(marker() + "the other run's", True))
        return real_create(change, body)  # type: ignore[no-any-return]

    side.notes.create_note = create_after_a_rival
    url = upsert(side, marker() + "ours")
    assert url and str(raced[0]) in url
    assert side.bodies() == [marker() + "ours"]
    assert any("merged a concurrent duplicate" in line for line in side.lines)


def test_new_mode_posts_a_second_note_and_keeps_or_hides_the_old(side: Side) -> None:
    side.add_note(marker() + "old", True)
    upsert(side, marker() + "new", mode="new")
    assert side.bodies() == [marker() + "old", marker() + "new"]


def test_a_401_says_its_status_once(side: Side) -> None:
    """Issue 25: GitLab answers `{"message": "401 Unauthorized"}`; the line read
    "(401: 401 Unauthorized)"."""
    side.fail("GET", r".*", 401, "401 Unauthorized")
    with pytest.raises(HostError) as caught:
        upsert(side, marker() + "x")
    assert "401 Unauthorized" in str(caught.value)
    assert "401: 401" not in str(caught.value)


def test_a_server_error_is_retried(side: Side) -> None:
    """The capped retry policy (`mlgate.hostapi`), the same for both hosts: a 502 from a proxy
    is tried again, and the note is written."""
    side.fail("GET", r"/(comments|notes)$", 502, "Bad Gateway", times=2)
    assert upsert(side, marker() + "after retries")
    assert side.bodies() == [marker() + "after retries"]


def test_a_retry_after_beyond_the_cap_fails_at_once(side: Side) -> None:
    side.fail("GET", r"/(comments|notes)$", 429, "slow down", headers={"Retry-After": "3600"})
    with pytest.raises(HostError, match="asked to wait 3600 s before retrying"):
        upsert(side, marker() + "x")
    assert side.bodies() == []
