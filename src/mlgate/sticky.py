"""The one report note on a change request, kept up to date: written once, above every host.

A host offers primitives (`NoteHost`: list its own notes, create, edit, delete, hide, read the
change's current head); the algorithm lives here: the stale check, update or create, delete
the extras, and merge a duplicate that a concurrent run created at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from mlgate.errors import HostError
from mlgate.hosts import Change
from mlgate.marker import parse_marker


@dataclass(frozen=True)
class Note:
    """A note (GitHub: an issue comment) as the host answered it."""

    id: int
    body: str
    url: str  # where the note is read: the `comment-url` output
    name: str  # how the log names it ("comment https://...", "note 1001")
    handle: Any = field(default=None, compare=False, repr=False)  # the client library's object


@dataclass(frozen=True)
class Words:
    """How a host's log lines name things."""

    note: str  # "comment" / "note"
    run: str  # "run" / "pipeline"


class NoteHost(Protocol):
    """The primitives of a host's notes. Each raises `HostError` (one line) when the API fails."""

    words: Words

    def log(self, line: str) -> None: ...

    def change_label(self, number: int) -> str:
        """ "PR #5" / "merge request !5"."""
        ...

    def own_notes(self, change: Change) -> list[Note]:
        """Every note on the change (all pages) authored by the token's own identity; system
        notes never."""
        ...

    def create_note(self, change: Change, body: str) -> Note: ...

    def edit_note(self, note: Note, body: str) -> bool:
        """True once the note holds `body`; False when it was deleted since it was listed."""
        ...

    def delete_note(self, note: Note) -> None: ...

    def hide_note(self, note: Note) -> bool:
        """Mark an older note outdated (GitHub: minimize); False when the host cannot."""
        ...

    def current_head(self, number: int) -> str: ...


def reports(host: NoteHost, change: Change, comment_id: str) -> list[Note]:
    """Our report notes with this marker id, oldest first: the body must START with the
    marker and the author must be the token's own identity."""
    found = []
    for note in host.own_notes(change):
        marker = parse_marker(note.body)
        if marker and marker.comment_id == comment_id:
            found.append(note)
    return sorted(found, key=lambda n: n.id)


def _stale(host: NoteHost, number: int, head_sha: str) -> bool:
    current = host.current_head(number)
    if current != head_sha:
        run, note = host.words.run, host.words.note
        host.log(
            f"{host.change_label(number)} head is now {current[:7]}, this {run} is for "
            f"{head_sha[:7]}: not updating the {note} (a newer {run} will)"
        )
        return True
    return False


def _edit(host: NoteHost, note: Note, body: str) -> bool:
    """False when the note was deleted since it was listed: then a new one is posted, never
    nothing (issue 20)."""
    if host.edit_note(note, body):
        return True
    host.log(f"{note.name} was deleted before it could be updated")
    return False


def _delete(host: NoteHost, note: Note) -> None:
    try:
        host.delete_note(note)
    except HostError as exc:
        host.log(f"could not delete duplicate {note.name}: {exc}")


def upsert(
    host: NoteHost, change: Change, body: str, *, comment_id: str, head_sha: str, mode: str
) -> str | None:
    """Create or update the one report note; its URL, or None when skipped as stale.

    Two runs for one change may interleave (two pushes in quick succession): the change's head
    is read again right before each write, so an older run never overwrites a newer one's
    note, and two notes created at once are merged into the oldest."""
    word = host.words.note
    existing = reports(host, change, comment_id)
    if _stale(host, change.number, head_sha):
        return None
    while mode == "update" and existing:
        note = existing.pop(0)
        if not _edit(host, note, body):
            continue  # deleted meanwhile: the next one, else a new note
        for extra in existing:
            _delete(host, extra)
        host.log(f"updated {word} {note.url}")
        return note.url
    created = host.create_note(change, body)
    host.log(f"posted {word} {created.url}")
    if mode != "update":
        _hide(host, existing)
        return created.url
    try:
        return _dedupe(
            host, change, body, comment_id=comment_id, head_sha=head_sha, created=created
        )
    except HostError as exc:
        exc.comment_url = created.url  # posted: still the comment-url output
        raise


def _hide(host: NoteHost, older: list[Note]) -> None:
    kept = 0
    for note in older:
        try:
            kept += not host.hide_note(note)
        except HostError as exc:
            host.log(f"could not minimize an old {host.words.note}: {exc}")
    if kept:
        host.log(f"{kept} older report {host.words.note}(s) kept (comment: new)")


def _dedupe(
    host: NoteHost, change: Change, body: str, *, comment_id: str, head_sha: str, created: Note
) -> str:
    """Another run created one at the same time: keep the oldest, give it our body."""
    ours = reports(host, change, comment_id)
    if len(ours) < 2 or ours[0].id == created.id:
        return created.url
    keep = ours[0]
    if not _stale(host, change.number, head_sha) and not _edit(host, keep, body):
        return created.url  # the older one is gone: ours stays
    _delete(host, created)
    host.log(f"merged a concurrent duplicate into {host.words.note} {keep.url}")
    return keep.url
