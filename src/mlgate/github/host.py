"""GitHub behind the host seam (`mlgate.hosts.Host`): the Publisher (PyGithub) adapted.

The PR's one sticky comment (`mlgate.sticky` over the Publisher's note primitives), the commit
status (or a check run), images on an orphan branch. Built from plain values (`Site`): this
module knows nothing of the CI runtime that found them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlgate import sticky
from mlgate.github import client
from mlgate.github.gitdata import GitData
from mlgate.github.publisher import Publisher
from mlgate.hosts import Change, Target
from mlgate.log import Log
from mlgate.render.fit import CHECK_RUN_LIMIT, COMMENT_LIMIT, fit
from mlgate.settings import ClientLimits


@dataclass(frozen=True)
class Site:
    """Where and how to publish on GitHub: plain values from the CI and the settings."""

    api_url: str
    server_url: str
    repository: str
    run_url: str | None = None
    check_run: bool = False
    assets_branch: str = "mlgate-assets"


class GitHubHost:
    name = "GitHub"
    comment_limit = COMMENT_LIMIT
    images_hint = "image not published: the token lacks `contents: write`"

    def __init__(self, pub: Publisher, site: Site) -> None:
        self.pub, self.site = pub, site

    def find_change(self, target: Target) -> Change | None:
        pr = self.pub.find_pr(target)
        return None if pr is None else Change(pr.number, pr.head_sha, pr.base_ref, pr.html_url)

    def upsert_report(
        self, change: Change, body: str, *, comment_id: str, head_sha: str, mode: str
    ) -> str | None:
        return sticky.upsert(
            self.pub, change, body, comment_id=comment_id, head_sha=head_sha, mode=mode
        )

    def set_status(
        self,
        sha: str,
        *,
        passed: bool,
        description: str,
        summary: str,
        context: str,
        target_url: str | None,
    ) -> None:
        if self.site.check_run:
            self.pub.create_check_run(
                sha,
                passed=passed,
                title=description,
                summary=fit(summary, CHECK_RUN_LIMIT, self.site.run_url),
                name=context,
                url=target_url,
            )
        else:
            self.pub.set_status(
                sha, passed=passed, description=description, context=context, target_url=target_url
            )

    def store_results(
        self, files: Sequence[tuple[str, bytes]], *, branch: str, message: str
    ) -> str:
        return GitData(self.pub).commit_files(files, branch=branch, message=message, force=False)

    def host_images(
        self, files: Sequence[tuple[str, bytes]], *, change: Change, head_sha: str
    ) -> dict[str, str] | None:
        return GitData(self.pub).publish_assets(
            files,
            branch=self.site.assets_branch,
            prefix=f"pr-{change.number}/{head_sha}",
            server_url=self.site.server_url,
        )


def build(site: Site, token: str, log: Log, limits: ClientLimits, gh: Any = None) -> GitHubHost:
    """The one place the PyGithub client is built for publishing."""
    gh = gh or client.build(site.api_url, token, limits)
    return GitHubHost(Publisher(gh, site.repository, log), site)
