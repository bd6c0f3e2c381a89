"""What a run crawls, decided without Prefect: the stored state the spider skips and sends, the sources chosen,
and the head start of a manual run's crawl.

Why a module of its own: `talkwatch run` starts the crawl before it imports Prefect (about 3 s of imports on a
2-core box, more while the temporary API server boots beside it), so that the crawl, which needs nothing from
Prefect, is under way during that time; `pipelines.flow` imports Prefect at its top.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from pipelines.crawl import head_start
from spiders.items import RETRY_KEY
from spiders.sources import Source, load_sources
from storage.db import connect, work_folder
from storage.load import listing_state, poll_state, retry_pages, seen_urls


def read_crawl_state(db: str) -> tuple[list[str], dict, dict[str, datetime]]:
    """Migrate the database and read what the spider must skip (stored URLs), send (feed validators), and which
    sources are due for a poll."""
    con = connect(db)
    try:
        return seen_urls(con), {**listing_state(con), RETRY_KEY: retry_pages(con)}, poll_state(con)
    finally:
        con.close()


def choose_sources(source_list: list[Source], only: list[str] | None, due_only: bool,
                   due_at: dict[str, datetime]) -> tuple[list[Source], list[str]]:
    """The sources this run crawls (`only` those, else every enabled one; with `due_only`, those whose poll
    interval has passed) and the names of those skipped as not due."""
    chosen = [s for s in source_list if s.name in only] if only else [s for s in source_list if s.enabled]
    if not due_only:
        return chosen, []
    now = datetime.now(timezone.utc)
    skipped = [s.name for s in chosen if s.name in due_at and due_at[s.name] > now]
    return [s for s in chosen if s.name not in skipped], skipped


def head_start_crawl(sources: str, db: str, only: list[str] | None = None,
                     spider_settings: dict[str, str] | None = None) -> None:
    """Start the crawl that `ingest(sources, db, only, spider_settings)` is about to ask for, before the flow
    begins: it runs while Prefect is imported and its temporary API server starts (several seconds), and the
    flow's crawl task adopts it when its request is the same (pipelines/crawl.py `head_start`). For the manual
    trigger only."""
    seen, state, due_at = read_crawl_state(db)
    chosen, _ = choose_sources(load_sources(sources), only, False, due_at)
    if chosen:
        work = work_folder(db) / "runs" / f"head-start-{uuid.uuid4().hex[:8]}"
        head_start(sources, work, seen, state, [s.name for s in chosen], spider_settings)
