"""Loads one run in a single transaction: duplicates grouped, originals chosen, nothing stored twice.

The same SQL serves both backends. On DuckLake, where writers on several machines commit optimistically and no
UNIQUE key can stop a second copy of an article, every load also bumps the one row of `load_serial`: two loads
that overlap in time then conflict at COMMIT, and the loser starts again (storage.db.retrying) from a snapshot
that holds the winner's articles, so its "already stored?" checks see them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, TypeVar

import duckdb

from storage import searchindex
from storage.db import connect, retrying, rollback
from storage.records import (ArticleRow, ListingRow, PageRow, RawPageRow, RunBatch, RunRow, SourceRow, StoredPage,
                             UnreadableRawPage, gunzip_raw)
from storage.sqlfiles import sql


class _Arrow:
    """pyarrow, imported at its first use: the flow process loads only after its page workers are done, and
    pyarrow's libraries (37 MiB) in memory while they work added that much to a run's peak."""

    def __getattr__(self, name: str) -> Any:
        import pyarrow

        globals()["pa"] = pyarrow  # from now on the module itself
        return getattr(pyarrow, name)


pa: Any = _Arrow()

log = logging.getLogger(__name__)


class DuplicateJudge(Protocol):
    """Decides whether two article texts are copies of one story; returns the similarity when they are, else None.

    A protocol rather than an import: storage stays ignorant of how similarity is computed.
    """

    def __call__(self, new_text: str, other_text: str) -> float | None: ...


def same_story(key: str, text: str, other_key: str, other_text: str, judge: DuplicateJudge) -> bool:
    """Whether two texts are one story by the loader's rules: the same exact key (normalised text), or a near copy
    by `judge`. Both the load (a canonical URL already stored) and the batch's URL variants ask it."""
    return bool(key) and key == other_key or judge(text, other_text) is not None


def under_own_url_reason(reason: str | None, declared: str, other_url: str) -> str:
    """A page's reason with the note that its declared canonical names another story, so it is stored under its own
    URL: written by the batch's URL variants and by the load's stored canonicals alike."""
    note = f"declared canonical {declared} names another story ({other_url}): stored under its own URL"
    return f"{reason}; {note}" if reason else note


class PollPolicy(Protocol):
    """The next poll interval (minutes) of a source from what its crawl brought; storage only records it."""

    def __call__(self, base: float, current: float | None, new_originals: int, copies: int,
                 failed: bool) -> float: ...


@dataclass
class LoadReport:
    articles_new: int = 0
    copies: int = 0  # new articles that joined an existing or new duplicate group as a copy
    same_page: int = 0  # fetched pages that turned out to be an article already stored (same canonical URL)
    groups_touched: int = 0
    pages: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> originals, copies (new ones)


def _stage(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, pa.Array]) -> None:
    """Make `name` a temp table of these columns. Arrow batches go in at memory speed where `executemany`
    costs a statement per row (measured: 133 ms of database time per article with its 56 band rows)."""
    view = f"_incoming_{name}"
    con.register(view, pa.table(columns))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
    finally:
        con.unregister(view)


@contextmanager
def _given(con: duckdb.DuckDBPyConnection, values: list[str]) -> Iterator[None]:
    """`values` as the view `given_values` (one column, `value`), for `... IN (SELECT value FROM given_values)`.

    Why not a list parameter: DuckDB's Python client tries to import pandas for every element it binds, a search
    of sys.path each time pandas is not installed: about 0.4 ms of CPU a page in a load. One Arrow column goes in
    at once."""
    con.register("given_values", pa.table({"value": pa.array(values, pa.string())}))
    try:
        yield
    finally:
        con.unregister("given_values")


def _utc(t: datetime | None) -> datetime | None:
    """Aware UTC for TIMESTAMPTZ columns; a naive time from a page is taken as UTC (it said no better)."""
    if t is None:
        return None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def _ts() -> Any:
    """The TIMESTAMPTZ columns' Arrow type."""
    return pa.timestamp("us", tz="UTC")


T = TypeVar("T")


def article_id_for(canonical_url: str) -> str:
    """A stable id: the same canonical URL always gives the same article, so re-runs collide with themselves."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def load_batch(db_path: str | os.PathLike, batch: RunBatch, judge: DuplicateJudge,
               timeout: float | None = None,
               before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
               poll: PollPolicy | None = None) -> LoadReport:
    """Open the storage, load the batch in one transaction, close. The run is all in or all out.

    On DuckLake a commit that lost to another writer's is retried from the start (a fresh connection, the batch
    as it was given) until `timeout`; a DuckDB file's lock makes other writers wait instead.
    `before_commit` is a hook for fault-injection tests (kill or fail between the writes and COMMIT).
    """
    restore = _attempt_state(batch)
    attempts = 0

    def attempt() -> LoadReport:
        nonlocal attempts
        if attempts:
            restore()
        attempts += 1
        con = connect(db_path, timeout=timeout)
        try:
            return load_into(con, batch, judge, before_commit=before_commit, poll=poll)
        finally:
            con.close()

    return retrying(db_path, attempt, timeout)


def _attempt_state(batch: RunBatch) -> Callable[[], None]:
    """A function that puts back what load_into changes in the batch (page outcomes and keys, the run's load
    counts), so a retried load starts from the batch as it was given."""
    pages = [(p, p.outcome, p.reason, p.article_id, p.canonical_url) for p in batch.pages]
    counts = dict(batch.run.counts)
    load_counts = dict(counts["load"]) if isinstance(counts.get("load"), dict) else None

    def restore() -> None:
        for p, outcome, reason, article_id, canonical in pages:
            p.outcome, p.reason, p.article_id, p.canonical_url = outcome, reason, article_id, canonical
        batch.run.counts.clear()
        batch.run.counts.update(counts)
        if load_counts is not None:
            batch.run.counts["load"] = dict(load_counts)

    return restore


def load_into(con: duckdb.DuckDBPyConnection, batch: RunBatch, judge: DuplicateJudge,
              before_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
              poll: PollPolicy | None = None, replace: list[str] | None = None,
              load_counts: Callable[[duckdb.DuckDBPyConnection, LoadReport], dict[str, Any]] | None = None,
              ) -> LoadReport:
    """Load a batch in one transaction.

    `replace` names stored articles that this batch re-derives (re-processing): they are taken out inside the
    same transaction and come back through the same path as new ones, so their duplicate groups are recomputed
    (keeping their stored ids, _settle_ids) and a group that lost its original gets a new one; the pages that named
    a taken-out article name what it is now (_repoint_pages). `load_counts` gives the run's `load` counts, read inside
    the transaction before the `runs` row is written; by default a run's: articles_new, copies, same_page (a
    re-processing creates no new articles, and records what it changed instead).
    """
    report = LoadReport()
    con.execute(sql("queries/checkpoint_on_commit"))
    con.execute("BEGIN TRANSACTION")
    try:
        _claim_serial(con, batch.run.run_id)
        before = _take_out(con, replace or [])
        pages = {p.url: p for p in batch.pages}
        new = _new_articles(con, batch.articles, pages, judge, report)
        grouping = _group(con, new, judge, report, before)
        _insert_articles(con, new, grouping.articles, batch.run)
        if new:
            searchindex.index_articles(con, "search_todo_new")
        _repoint(con, grouping, {grouping.final(g) for g in before.groups()})
        report.per_source = _per_source(con, new)
        report.copies = sum(counts["copies"] for counts in report.per_source.values())
        _write_pages(con, list(pages.values()), batch.run, rederived=replace is not None)
        if replace is not None:
            _repoint_pages(con, before, pages)
        _write_raw(con, batch.raw_pages, batch.run)
        _write_listings(con, batch.listings, batch.run)
        _write_sources(con, batch.sources)
        if poll is not None:
            _write_source_state(con, batch, report, poll)
        report.pages = len(pages)
        for p in pages.values():
            report.outcomes[p.outcome] = report.outcomes.get(p.outcome, 0) + 1
        batch.run.counts.setdefault("load", {}).update(
            load_counts(con, report) if load_counts is not None else
            {"articles_new": report.articles_new, "copies": report.copies, "same_page": report.same_page})
        _write_run(con, batch.run)
        if before_commit is not None:
            before_commit(con)
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    return report


def _claim_serial(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Bump `load_serial` where the storage has it (DuckLake: storage/ducklake.py creates it; a DuckDB file has no
    such table and needs none). Two transactions that both rewrite its one row cannot both commit."""
    if not con.execute(sql("queries/has_load_serial")).fetchone()[0]:
        return
    if not con.execute(sql("queries/bump_load_serial"), [run_id]).fetchone()[0]:
        con.execute(sql("queries/insert_load_serial"), [run_id])


@dataclass
class _Before:
    """The stored duplicate groups of the articles a reprocess takes out, as they were before: every member's group
    and first sighting, and the pages each taken-out article was loaded from.

    Why: the groups the reprocess re-derives keep the ids they were stored under (_settle_ids), which needs them
    whole (a taken-out member's first sighting counts for its group's age and for which part of a split group is
    the old one), and a page that named a taken-out article follows what that article's own page holds now.
    """

    taken: set[str] = field(default_factory=set)
    group_of: dict[str, str] = field(default_factory=dict)  # member -> its group, of every group touched
    seen: dict[str, datetime | None] = field(default_factory=dict)  # member -> first_seen_at
    holders: dict[str, list[str]] = field(default_factory=dict)  # taken-out article -> URLs of its own pages
    by_group: dict[str, list[str]] = field(default_factory=dict)  # group -> its members, oldest first

    def add(self, member: str, group_id: str, seen: datetime | None) -> None:
        """Note one stored member; call sort() after the last."""
        self.group_of[member], self.seen[member] = group_id, seen
        self.by_group.setdefault(group_id, []).append(member)

    def sort(self) -> None:
        for ms in self.by_group.values():
            ms.sort(key=self._age)

    def groups(self) -> set[str]:
        """The groups that had a member taken out."""
        return set(self.by_group)

    def members(self, group_id: str) -> list[str]:
        """The group's members as stored before, oldest first (first_seen_at, then the smaller id)."""
        return self.by_group.get(group_id, [])

    def left(self, group_id: str) -> list[str]:
        """The group's members still stored: not taken out."""
        return [m for m in self.members(group_id) if m not in self.taken]

    def age(self, group_id: str) -> tuple:
        """When the group was first stored (its oldest member's first sighting), then its id: group_ages.sql's
        order, counting the members taken out."""
        return (self._age(self.members(group_id)[0])[0], group_id)

    def _age(self, member: str) -> tuple:
        return (self.seen.get(member) or _FAR, member)


_FAR = datetime.max.replace(tzinfo=timezone.utc)


def _take_out(con: duckdb.DuckDBPyConnection, ids: list[str]) -> _Before:
    """Remove articles about to be re-derived; what their groups and pages were is returned (see _Before), so the
    rest get a fresh original and the groups keep their ids."""
    if not ids:
        return _Before()
    before = _Before(taken=set(ids))
    for aid, gid, seen in con.execute(sql("queries/group_members"), [ids]).fetchall():
        before.add(aid, gid, seen)
    before.sort()
    for aid, url in sorted(con.execute(sql("queries/article_pages"), [ids]).fetchall()):
        before.holders.setdefault(aid, []).append(url)
    con.execute(sql("queries/delete_bands"), [ids])
    con.execute(sql("queries/delete_articles"), [ids])
    searchindex.unindex_articles(con, ids)
    return before


def _new_articles(con: duckdb.DuckDBPyConnection, articles: list[ArticleRow], pages: dict[str, PageRow],
                  judge: DuplicateJudge, report: LoadReport) -> list[ArticleRow]:
    """Drop articles whose canonical URL is stored already (or twice in the batch): same page, not a new article.

    Unless the article there is another story (not an exact copy, not a near-duplicate by `judge`): then the
    canonical the page declared is a template's (a CMS naming the section's first article on every page), and the
    article goes under the key of its own URL (`own_canonical_url`) with a note in its page's reason, instead of
    being dropped. Without an own key, or when that is the colliding key itself, it is the same page, as before.
    """
    keys = {a.canonical_url for a in articles} | {a.own_canonical_url for a in articles if a.own_canonical_url}
    stored: dict[str, tuple[str, str, str]] = {}  # canonical URL -> its stored article's url, exact key, text
    if keys:
        with _given(con, sorted(keys)):
            stored = {c: (u, k, t) for c, u, k, t in con.execute(sql("queries/stored_canonicals")).fetchall()}
    fresh: list[ArticleRow] = []
    seen_in_batch: dict[str, ArticleRow] = {}

    def holder(key: str) -> tuple[str, str, str] | None:
        if key in stored:
            return stored[key]
        b = seen_in_batch.get(key)
        return (b.url, b.exact_key, b.text) if b is not None else None

    for a in articles:
        while (hit := holder(a.canonical_url)) is not None:
            first_url, exact_key, text = hit
            own = a.own_canonical_url
            if not own or own == a.canonical_url or same_story(a.exact_key, a.text, exact_key, text, judge):
                break
            a = _under_own_url(a, own, first_url, pages)  # another story: the declared canonical is a template's
        if hit is not None:
            report.same_page += 1
            for p in pages.values():
                if p.article_id == a.article_id and p.outcome == "loaded" and p.url != first_url:
                    p.outcome, p.reason = "duplicate", f"same page as {first_url}"
            continue
        seen_in_batch[a.canonical_url] = a
        fresh.append(a)
    report.articles_new = len(fresh)
    return fresh


def _under_own_url(a: ArticleRow, own: str, other_url: str, pages: dict[str, PageRow]) -> ArticleRow:
    """`a` re-keyed to its own URL's key, and its page with it (and the pages collapsed onto it). A copy: the
    batch's article rows stay as given, and its pages are put back by _attempt_state, for a retried load."""
    new_id = article_id_for(own)
    mine = [p for p in pages.values() if p.article_id == a.article_id]
    loaded = [p for p in mine if p.outcome == "loaded"]
    if len(loaded) > 1:  # a batch not collapsed by URL (batch.collapse_url_variants): only a's own page moves
        mine = [p for p in loaded if a.url in (p.url, p.final_url)]
    for p in mine:
        if p.outcome == "loaded":
            p.reason = under_own_url_reason(p.reason, a.canonical_url, other_url)
        p.article_id, p.canonical_url = new_id, own
    return replace(a, article_id=new_id, canonical_url=own)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class _Grouping:
    """What a load decided about duplicate groups; written by `_repoint` in one UPDATE of the stored rows.

    Why one UPDATE: DuckLake 1.5.5 lost a row that one transaction updated twice (bench/storage_load.py found it:
    a stored original marked as matched, then re-pointed, was gone after COMMIT), so no stored row is updated
    more than once per load, on either backend.
    """

    articles: dict[str, tuple[str, str | None, float | None]] = field(default_factory=dict)  # new: group, kind, sim
    merges: dict[str, str] = field(default_factory=dict)  # stored group -> the stored group it joins
    marks: dict[str, tuple[str, float]] = field(default_factory=dict)  # stored article -> how a new one matched it
    relabel: dict[str, str] = field(default_factory=dict)  # stored group -> the id its rows take (_settle_ids)

    def final(self, group_id: str) -> str:
        """The id the stored group `group_id`'s rows have after this load."""
        return self.relabel.get(group_id, group_id)

    def root(self, group_id: str) -> str:
        """The group `group_id` ends in after this load's merges (a chain of bridges ends in one group)."""
        while group_id in self.merges:
            group_id = self.merges[group_id]
        return group_id


CONTAINER_RATIO = 1.6  # a text at least this many times as long as a duplicate it matched carries it inside


def _contains(longer: str, shorter: str) -> bool:
    """Whether a confirmed match is one text carrying the other inside it (a roundup, a digest, a live blog with
    the story in it), judged by length: it matched by containment, and may carry other stories beside it."""
    return len(longer.split()) >= CONTAINER_RATIO * len(shorter.split())


def _attach_containers(components: dict[str, set[str]], comp_gid: dict[str, str],
                       attach: dict[str, list[tuple[float, str]]], stored_group: dict[str, str],
                       kind: dict[str, tuple[str, float]], uf: _UnionFind) -> None:
    """A component of new articles that only contains other articles joins the group of the one it matches best.

    Why not a union like any other match: a daily briefing that carries story A and a different story B matched
    both, and the union merged A's and B's groups, so B became a "copy" of A (sweep 6). A container joins one
    group and bridges none; a component with a stored member keeps its own group. Containers of containers
    follow the chain (a container is longer than what it carries, so there is no cycle).
    """
    for _ in range(len(components)):
        moved = False
        for root, members in components.items():
            if any(m in stored_group for m in members):
                continue
            targets = sorted((sim, t) for m in members for sim, t in attach.get(m, []))
            if not targets:
                continue
            sim, target = max(targets, key=lambda st: st[0])  # the best match; on a tie, the smallest id
            gid = comp_gid.get(uf.find(target))
            if gid is None or gid == comp_gid[root]:
                continue
            comp_gid[root], moved = gid, True
            for m in (*members, target):  # the target too: it is the copy if the container turns out earlier
                _note_near(kind, m, sim)
        if not moved:
            return


def _note_near(kind: dict[str, tuple[str, float]], member: str, sim: float) -> None:
    """Record a confirmed near match of `member`: its best near similarity, which outranks an exact match."""
    if member not in kind or kind[member][0] == "exact" or kind[member][1] < sim:
        kind[member] = ("near", sim)


def _group_ages(con: duckdb.DuckDBPyConnection, groups: set[str]) -> Callable[[str], tuple]:
    """A sort key of stored group ids, oldest first: when the group was first stored, then its id.

    Why: a copy that bridges two stored groups merges them under one id; it used to be the smaller id, so the id
    of the older group, the one a user may have saved, could vanish into a younger one's."""
    first: dict[str, Any] = {}
    if groups:
        first = dict(con.execute(sql("queries/group_ages"), [sorted(groups)]).fetchall())
    far = datetime.max.replace(tzinfo=timezone.utc)
    return lambda g: (first.get(g) or far, g)


def _group(con: duckdb.DuckDBPyConnection, new: list[ArticleRow], judge: DuplicateJudge,
           report: LoadReport, before: _Before | None = None) -> _Grouping:
    """Group id, duplicate kind and similarity for every new article; which stored groups a new copy bridges.
    `before`: the groups of the articles a reprocess took out, as they were (their ids are kept, _settle_ids)."""
    if not new:
        return _Grouping()
    before = before or _Before()
    _stage(con, "new_articles", {"article_id": pa.array([a.article_id for a in new], pa.string()),
                                 "exact_key": pa.array([a.exact_key for a in new], pa.string())})
    _stage(con, "new_bands", {
        "article_id": pa.array([a.article_id for a in new for _ in a.band_keys], pa.string()),
        "band": pa.array([i for a in new for i in range(len(a.band_keys))], pa.int16()),
        "key": pa.array([k for a in new for k in a.band_keys], pa.int64()),
    })

    by_id = {a.article_id: a for a in new}
    exact_pairs = set(con.execute(sql("queries/exact_matches")).fetchall())
    by_key: dict[str, str] = {}
    for a in new:  # exact copies inside the batch
        if a.exact_key in by_key:
            exact_pairs.add((a.article_id, by_key[a.exact_key]))
        else:
            by_key[a.exact_key] = a.article_id
    cand_pairs = set(con.execute(sql("queries/candidates")).fetchall()) - exact_pairs
    cand_pairs = {(n, o) for n, o in cand_pairs if not (o in by_id and (o, n) in exact_pairs)}

    stored_ids = {o for _, o in exact_pairs | cand_pairs if o not in by_id}
    stored_text: dict[str, str] = {}
    stored_group: dict[str, str] = {}
    if stored_ids:
        for aid, gid, text in con.execute(sql("queries/stored_texts"), [sorted(stored_ids)]).fetchall():
            stored_text[aid], stored_group[aid] = text, gid

    uf = _UnionFind()
    # how each article matched in this load: ("near", its highest measured similarity) when a near pair of it was
    # judged, else ("exact", 1.0). The stored kind and similarity are relative to the group's original and are
    # set by repoint_groups.sql from this; the best near similarity is kept over an exact match because an
    # exact twin of a copy is a near copy of an original the twin is not identical to.
    kind: dict[str, tuple[str, float]] = {}
    for n, o in sorted(exact_pairs):
        uf.union(n, o)
        for member in (n, o):
            kind.setdefault(member, ("exact", 1.0))
    checked: set[frozenset[str]] = set()
    attach: dict[str, list[tuple[float, str]]] = {}  # a container -> (similarity, an article it carries)
    for n, o in sorted(cand_pairs):
        pair = frozenset((n, o))
        if pair in checked:
            continue
        checked.add(pair)
        other = by_id[o].text if o in by_id else stored_text.get(o)
        if other is None:
            continue
        sim = judge(by_id[n].text, other)
        if sim is None:
            continue
        if _contains(by_id[n].text, other):
            attach.setdefault(n, []).append((sim, o))
            continue
        if o in by_id and _contains(other, by_id[n].text):
            attach.setdefault(o, []).append((sim, n))
            continue
        uf.union(n, o)
        for member in (n, o):
            _note_near(kind, member, sim)

    # A component's group: the stored group it touches (the oldest, when a copy bridges several: the others are
    # merged into it), else a label of its own (_FRESH, its smallest member), until _settle_ids gives every group
    # this load leaves its id.
    components: dict[str, set[str]] = {}
    for aid in list(by_id) + sorted(stored_ids):
        components.setdefault(uf.find(aid), set()).add(aid)
    out = _Grouping()
    age = _group_ages(con, set(stored_group.values()))
    comp_gid: dict[str, str] = {}  # component root -> its group id, before merges are followed
    for root, members in components.items():
        stored_groups = sorted({stored_group[m] for m in members if m in stored_group}, key=age)
        gid = stored_groups[0] if stored_groups else _FRESH + min(members)
        for other_gid in stored_groups[1:]:
            if other_gid not in out.merges:
                out.merges[other_gid] = gid
            elif out.root(other_gid) != out.root(gid):  # bridged twice: the younger root joins the older
                a, b = sorted((out.root(other_gid), out.root(gid)), key=age)
                out.merges[b] = a
        comp_gid[root] = gid
    _attach_containers(components, comp_gid, attach, stored_group, kind, uf)
    for m in stored_ids:
        if m in kind:  # a stored article that may now turn out to be the copy
            out.marks[m] = kind[m]
    chosen = {m: comp_gid[root] for root, members in components.items() for m in members if m in by_id}
    for m, gid in chosen.items():
        k = kind.get(m)
        out.articles[m] = (out.root(gid), k[0] if k else None, k[1] if k else None)
    stored = set(stored_group.values()) | {g for g in before.groups() if before.left(g)}
    _settle_ids(con, out, stored, before, age)
    report.groups_touched = len({g for g, _, _ in out.articles.values()})
    return out


_FRESH = "\x00"  # a group label made of new articles only, until _settle_ids names the group: never an id


def _settle_ids(con: duckdb.DuckDBPyConnection, out: _Grouping, stored: set[str], before: _Before,
                age: Callable[[str], tuple]) -> None:
    """Give every group this load leaves (labelled in `out.articles` and by `out.root` of the `stored` groups whose
    rows it holds) its id, in `out.articles` and `out.relabel`.

    A group claims the ids of the stored groups its members were in: those whose rows it holds, and the group a
    re-derived member had before the reprocess took it out (`before`). An id claimed by two groups (a stored group
    a reprocess split) goes to the one holding that group's oldest member still there. A group keeps the oldest id
    it holds (first stored, as group_ages.sql orders them, so a merge keeps the id stored first); one that holds
    none takes its smallest member id that no group has, stored or given here.

    Why: a reprocess took every re-derived article out and gave the groups they formed new ids (their smallest
    member's), as a fresh load would, so a group id a user had saved named nothing; and a split group's
    re-derived part could take its own id while the stored part kept that very id: two groups, one id.
    """
    members: dict[str, set[str]] = {}  # label -> its members known here (new, and those left of split groups)
    claims: dict[str, set[str]] = {}  # label -> the stored ids it claims
    where: dict[str, str] = {}  # article -> the label of its group, for the members of groups a reprocess touched
    for s in stored:
        label = out.root(s)
        claims.setdefault(label, set()).add(s)
        for m in before.left(s):
            where[m] = label
            members.setdefault(label, set()).add(m)
    for m, (label, _, _) in out.articles.items():
        where[m] = label
        members.setdefault(label, set()).add(m)
        if m in before.group_of:
            claims.setdefault(label, set()).add(before.group_of[m])
    split = before.groups()

    holders: dict[str, str | None] = {}

    def holder(g: str) -> str | None:
        """The label of the group holding stored group g's oldest member still there."""
        if g not in split:  # no member taken out: its rows are all in one group
            return out.root(g)
        if g not in holders:
            holders[g] = next((where[m] for m in before.members(g) if m in where), None)
        return holders[g]

    def oldest(g: str) -> tuple:
        return before.age(g) if g in split else age(g)

    ids: dict[str, str] = {}
    for label, gs in claims.items():
        won = [g for g in gs if holder(g) == label]
        if won:
            ids[label] = min(won, key=oldest)
    rest = sorted((min(ms), label) for label, ms in members.items() if label not in ids)
    if rest:
        candidates = sorted({m for _, label in rest for m in members[label]})
        with _given(con, candidates):
            used = {g for (g,) in con.execute(sql("queries/group_ids_in_use")).fetchall()}
        used |= set(ids.values()) | split
        for _, label in rest:
            gid = next((m for m in sorted(members[label]) if m not in used), None) or _spare_id(members[label])
            ids[label] = gid
            used.add(gid)
    out.relabel = {s: ids[out.root(s)] for s in stored if ids[out.root(s)] != s}
    out.articles = {m: (ids[label], k, sim) for m, (label, k, sim) in out.articles.items()}


def _spare_id(members: set[str]) -> str:
    """An id for a group every one of whose member ids another group has (a split part whose only member's id
    the older part kept): derived from its members, so the same split gives the same id."""
    return article_id_for("group:" + " ".join(sorted(members)))


def _insert_articles(con: duckdb.DuckDBPyConnection, new: list[ArticleRow],
                     groups: dict[str, tuple[str, str | None, float | None]], run: RunRow) -> None:
    if not new:
        return
    now = datetime.now(timezone.utc)
    published = [_published(a) for a in new]
    group = [groups.get(a.article_id, (a.article_id, None, None)) for a in new]
    _stage(con, "incoming_articles", {
        "article_id": pa.array([a.article_id for a in new], pa.string()),
        "url": pa.array([a.url for a in new], pa.string()),
        "canonical_url": pa.array([a.canonical_url for a in new], pa.string()),
        "source": pa.array([a.source for a in new], pa.string()),
        "title": pa.array([a.title for a in new], pa.string()),
        "published_at": pa.array([p[0] for p in published], _ts()),
        "published_offset": pa.array([p[1] for p in published], pa.string()),
        "published_local": pa.array([p[2] for p in published], pa.string()),
        "published_precision": pa.array([a.published_precision for a in new], pa.string()),
        "date_source": pa.array([a.date_source for a in new], pa.string()),
        "date_confidence": pa.array([a.date_confidence for a in new], pa.float64()),
        "modified_at": pa.array([_utc(a.modified_at) for a in new], _ts()),
        "date_evidence": pa.array([a.date_evidence for a in new], pa.string()),
        "language": pa.array([a.language for a in new], pa.string()),
        "authors": pa.array([list(a.authors) for a in new], pa.list_(pa.string())),
        "text": pa.array([a.text for a in new], pa.string()),
        "word_count": pa.array([a.word_count for a in new], pa.int32()),
        "description": pa.array([a.description for a in new], pa.string()),
        "listed_title": pa.array([a.listed_title for a in new], pa.string()),
        "relevance_score": pa.array([a.relevance_score for a in new], pa.float64()),
        "matched_terms": pa.array([list(a.matched_terms) for a in new], pa.list_(pa.string())),
        "topic_terms": pa.array([list(a.topic_terms) for a in new], pa.list_(pa.string())),
        "relevant": pa.array([a.relevant for a in new], pa.bool_()),
        "exact_key": pa.array([a.exact_key for a in new], pa.string()),
        "content_hash": pa.array([hashlib.sha256(a.text.encode("utf-8")).hexdigest() for a in new], pa.string()),
        "group_id": pa.array([g[0] for g in group], pa.string()),
        "duplicate_kind": pa.array([g[1] for g in group], pa.string()),
        "similarity": pa.array([g[2] for g in group], pa.float64()),
        "fetched_at": pa.array([_utc(a.fetched_at) for a in new], _ts()),
        "first_seen_at": pa.array([_utc(a.first_seen_at or a.fetched_at) for a in new], _ts()),
        "run_id": pa.array([run.run_id] * len(new), pa.string()),
        "updated_at": pa.array([now] * len(new), _ts()),
    })
    con.execute(sql("queries/insert_article"))
    con.execute(sql("queries/insert_bands"))


def _published(a: ArticleRow) -> tuple[datetime | None, str | None, str | None]:
    """(instant for TIMESTAMPTZ, the page's own offset, the local ISO form) of an article's publication date."""
    p = a.published_at
    if p is None or a.published_precision == "none":
        return None, None, None
    if a.published_precision == "day" or p.tzinfo is None:
        day_only = a.published_precision == "day"
        instant = p.replace(tzinfo=timezone.utc)
        return instant, None, p.date().isoformat() if day_only else p.isoformat()
    off = p.utcoffset()
    sign = "-" if off is not None and off.total_seconds() < 0 else "+"
    minutes = abs(int(off.total_seconds() // 60)) if off is not None else 0
    return p.astimezone(timezone.utc), f"{sign}{minutes // 60:02d}:{minutes % 60:02d}", p.isoformat()


def _repoint(con: duckdb.DuckDBPyConnection, grouping: _Grouping, old_groups: set[str]) -> None:
    """Merge the bridged groups, mark the matched stored articles and choose every touched group's original, in one
    UPDATE (see _Grouping)."""
    group_ids = {g for g, _, _ in grouping.articles.values()} | old_groups
    if not group_ids:
        return
    _stage(con, "touched_groups", {"group_id": pa.array(sorted(group_ids), pa.string())})
    moves = sorted(grouping.relabel)
    _stage(con, "group_merges", {"from_group": pa.array(moves, pa.string()),
                                 "into_group": pa.array([grouping.relabel[g] for g in moves], pa.string())})
    _stage(con, "load_articles", {"article_id": pa.array(sorted(grouping.articles), pa.string())})
    marks = sorted(grouping.marks)
    _stage(con, "stored_marks", {"article_id": pa.array(marks, pa.string()),
                                 "kind": pa.array([grouping.marks[m][0] for m in marks], pa.string()),
                                 "similarity": pa.array([grouping.marks[m][1] for m in marks], pa.float64())})
    con.execute(sql("queries/repoint_groups"))


def _per_source(con: duckdb.DuckDBPyConnection, new: list[ArticleRow]) -> dict[str, dict[str, int]]:
    if not new:
        return {}
    return {src: {"originals": o, "copies": c}
            for src, o, c in con.execute(sql("queries/source_new_counts")).fetchall()}


def _write_source_state(con: duckdb.DuckDBPyConnection, batch: RunBatch, report: LoadReport,
                        poll: PollPolicy) -> None:
    current = {src: minutes for src, minutes, _ in con.execute(sql("queries/source_state")).fetchall()}
    outcomes: dict[str, set[str]] = {}
    for li in batch.listings:
        outcomes.setdefault(li.source, set()).add(li.outcome)
    now = datetime.now(timezone.utc)
    rows = []
    for src, base in sorted(batch.crawled_sources.items()):
        counts = report.per_source.get(src, {})
        failed = outcomes.get(src) == {"failed"}
        minutes = poll(base, current.get(src), counts.get("originals", 0), counts.get("copies", 0), failed)
        rows.append([src, minutes, now + timedelta(minutes=minutes), now, counts.get("originals", 0),
                     counts.get("copies", 0), failed, batch.run.run_id])
    _upsert(con, "incoming_source_state", "queries/upsert_source_states", rows, lambda row: row[0], lambda part: {
        name: pa.array([row[i] for row in part], kind) for i, (name, kind) in enumerate((
            ("source", pa.string()), ("poll_minutes", pa.float64()), ("next_poll_at", _ts()),
            ("last_crawled_at", _ts()), ("last_new", pa.int64()), ("last_copies", pa.int64()),
            ("last_failed", pa.bool_()), ("run_id", pa.string())))})


def _write_pages(con: duckdb.DuckDBPyConnection, pages: list[PageRow], run: RunRow, rederived: bool = False) -> None:
    """Upsert the load's pages. `rederived` (a reprocess): each page names the article it holds now, none when it
    holds none any more, instead of keeping the one stored (see upsert_page.sql)."""
    if not pages:
        return
    _stage(con, "incoming_pages", {
        "url": pa.array([p.url for p in pages], pa.string()),
        "url_key": pa.array([p.url_key for p in pages], pa.string()),
        "canonical_url": pa.array([p.canonical_url for p in pages], pa.string()),
        "final_url": pa.array([p.final_url for p in pages], pa.string()),
        "source": pa.array([p.source for p in pages], pa.string()),
        "status": pa.array([p.status for p in pages], pa.int32()),
        "outcome": pa.array([p.outcome for p in pages], pa.string()),
        "reason": pa.array([p.reason for p in pages], pa.string()),
        "fetched_at": pa.array([_utc(p.fetched_at) for p in pages], _ts()),
        "run_id": pa.array([run.run_id] * len(pages), pa.string()),
        "article_id": pa.array([p.article_id for p in pages], pa.string()),
        "listed_in": pa.array([p.listed_in for p in pages], pa.string()),
        "rederived": pa.array([rederived] * len(pages), pa.bool_()),
    })
    con.execute(sql("queries/upsert_page"))


def _repoint_pages(con: duckdb.DuckDBPyConnection, before: _Before, pages: dict[str, PageRow]) -> None:
    """After a reprocess, the pages it did not re-process that named an article it took out name what that
    article's own page holds now (another id, or none); one naming no stored article at all names the one stored
    under its canonical URL, else none (repoint_pages.sql). The re-processed pages were written by _write_pages:
    no page row is updated twice in the transaction (see _Grouping).

    Why: a partial reprocess (`--since`, `--source`) re-derived a story's page under a new id, or found it no
    longer an article, and its URL variant's page, not selected, kept naming an id that no longer existed.
    """
    moves: dict[str, str | None] = {}
    for old, urls in before.holders.items():
        now = [pages[u].article_id for u in urls if u in pages]
        if now and old not in now:
            moves[old] = now[0]
    _stage(con, "article_moves", {"old_id": pa.array(sorted(moves), pa.string()),
                                  "new_id": pa.array([moves[m] for m in sorted(moves)], pa.string())})
    _stage(con, "rederived_pages", {"url": pa.array(sorted(pages), pa.string())})
    con.execute(sql("queries/repoint_pages"))


def _raw_schema() -> Any:
    """The columns of the raw pages' Arrow batches."""
    return pa.schema([("url", pa.string()), ("source", pa.string()), ("fetched_at", _ts()), ("status", pa.int32()),
                      ("headers", pa.string()), ("encoding", pa.string()), ("body_gzip", pa.binary()),
                      ("body_size", pa.int32()), ("listed_title", pa.string()), ("listed_date", pa.string()),
                      ("listed_date_kind", pa.string()), ("run_id", pa.string())])


_RAW_ROWS_PER_BATCH = 64


def _write_raw(con: duckdb.DuckDBPyConnection, raw: list[RawPageRow], run: RunRow) -> None:
    """Insert the raw pages not stored yet and update the ones fetched again, each streamed from Python.

    Why streamed, and not staged in a temp table and MERGEd like the other rows: the bodies are most of a load's
    bytes (36 MiB gzip'd for 1,002 corpus pages), and inside a transaction DuckDB keeps every Arrow table it read
    and every temp table (replaced or not) until COMMIT, and its MERGE a second copy of the bodies: this step took
    the load's RSS up 237 MiB (bench/load_memory.py). A stream of small record batches, made as DuckDB reads
    them, leaves only the rows' one copy in the transaction: +46 MiB.
    """
    unique = list({r.url: r for r in raw}.values())  # one row per key and statement: DuckDB keeps the first
    if not unique:
        return
    with _given(con, [r.url for r in unique]):
        stored = {u for (u,) in con.execute(sql("queries/stored_raw_urls")).fetchall()}
    for rows, query in (([r for r in unique if r.url in stored], "queries/update_raw_page"),
                        ([r for r in unique if r.url not in stored], "queries/insert_raw_page")):
        if not rows:
            continue
        con.register("incoming_raw", pa.RecordBatchReader.from_batches(_raw_schema(), _raw_batches(rows, run)))
        try:
            con.execute(sql(query))
        finally:
            con.unregister("incoming_raw")
    pa.default_memory_pool().release_unused()  # the batches' buffers, freed but kept by Arrow's allocator


def _raw_batches(rows: list[RawPageRow], run: RunRow) -> Iterator[pa.RecordBatch]:
    """The raw pages as Arrow record batches of _RAW_ROWS_PER_BATCH rows, each built when DuckDB asks for it."""
    for i in range(0, len(rows), _RAW_ROWS_PER_BATCH):
        part = rows[i:i + _RAW_ROWS_PER_BATCH]
        yield pa.record_batch([
            [r.url for r in part], [r.source for r in part], [_utc(r.fetched_at) for r in part],
            [r.status for r in part], [r.headers for r in part], [r.encoding for r in part],
            [r.compressed_body() for r in part], [r.raw_size() for r in part],
            [r.listed_title for r in part], [r.listed_date for r in part], [r.listed_date_kind for r in part],
            [run.run_id] * len(part),
        ], schema=_raw_schema())


def stored_pages(con: duckdb.DuckDBPyConnection, since: datetime | None, source: str | None,
                 unreadable: list[tuple[str, str, str]] | None = None) -> list[StoredPage]:
    """Stored raw pages (decompressed) fetched since `since`, of `source`: the input of re-processing.

    A page whose stored body does not decompress is left out, and (source, url, reason) goes to `unreadable`:
    one broken row used to stop the whole re-processing."""
    out = []
    for row in con.execute(sql("queries/raw_for_reprocess"), [since, since, source, source]).fetchall():
        url, src, fetched, status, headers, encoding, body, title, ldate, lkind, final_url, listed_in = row
        try:
            page = gunzip_raw(body)
        except UnreadableRawPage as exc:
            if unreadable is None:
                raise
            unreadable.append((src, url, f"stored page unreadable (its compressed body is broken: {exc})"))
            continue
        raw = RawPageRow(url=url, source=src, fetched_at=fetched, status=status, headers=headers or "{}",
                         encoding=encoding, body=page, listed_title=title, listed_date=ldate,
                         listed_date_kind=lkind)
        out.append(StoredPage(raw, final_url, listed_in))
    return out


def article_snapshot(con: duckdb.DuckDBPyConnection, urls: list[str]) -> dict[str, tuple]:
    """Per page URL, the article derived from it as stored now (id, title, text, date, language, original)."""
    return {row[0]: row[1:] for row in con.execute(sql("queries/article_snapshot"), [urls]).fetchall()}


def own_articles(con: duckdb.DuckDBPyConnection, urls: list[str]) -> dict[str, str]:
    """Per page URL, the article it holds itself (loaded from it): what re-processing that page may replace. A page
    stored as the same page as another one's article is not there: that article is re-derived from its own page."""
    return dict(con.execute(sql("queries/own_articles"), [urls]).fetchall())


def _write_sources(con: duckdb.DuckDBPyConnection, sources: list[SourceRow]) -> None:
    if not sources:
        return
    now = datetime.now(timezone.utc)
    _upsert(con, "incoming_sources", "queries/upsert_source_configs", sources, lambda src: src.source, lambda part: {
        "source": pa.array([src.source for src in part], pa.string()),
        "language": pa.array([src.language for src in part], pa.string()),
        "country": pa.array([src.country for src in part], pa.string()),
        "group": pa.array([src.group for src in part], pa.string()),
        "enabled": pa.array([src.enabled for src in part], pa.bool_()),
        "timezone": pa.array([src.timezone for src in part], pa.string()),
        "feeds": pa.array([src.feeds for src in part], pa.list_(pa.string())),
        "sitemaps": pa.array([src.sitemaps for src in part], pa.list_(pa.string())),
        "updated_at": pa.array([now] * len(part), _ts())})


def _write_listings(con: duckdb.DuckDBPyConnection, listings: list[ListingRow], run: RunRow) -> None:
    _upsert(con, "incoming_listings", "queries/upsert_listings", listings, lambda li: li.url, lambda part: {
        "url": pa.array([li.url for li in part], pa.string()),
        "source": pa.array([li.source for li in part], pa.string()),
        "listing_type": pa.array([li.listing_type for li in part], pa.string()),
        "last_outcome": pa.array([li.outcome for li in part], pa.string()),
        "last_status": pa.array([li.status for li in part], pa.int64()),
        "last_reason": pa.array([li.reason for li in part], pa.string()),
        "last_fetched_at": pa.array([_utc(li.fetched_at) for li in part], _ts()),
        "etag": pa.array([li.etag for li in part], pa.string()),
        "last_modified": pa.array([li.last_modified for li in part], pa.string()),
        "entries": pa.array([li.entries for li in part], pa.int64()),
        "new_entries": pa.array([li.new_entries for li in part], pa.int64()),
        "run_id": pa.array([run.run_id] * len(part), pa.string())})


def _upsert(con: duckdb.DuckDBPyConnection, table: str, query: str, rows: list[T], key: Callable[[T], Any],
            columns: Callable[[list[T]], dict[str, pa.Array]]) -> None:
    """Upsert `rows` by the MERGE `query`, which reads the staged `table` built by `columns(rows)`.

    Why: one MERGE statement a row cost about 4.5 ms each (a no-change load: 0.55 s for 40 sources, 120
    statements; 2.4 s for 181); one from a staged table costs that once (0.18 and 0.19 s). One MERGE may match a
    stored row only once, so a key given twice in a batch (a feed fetched twice) has its later rows merged after,
    one at a time, in order: the result is what one statement a row gave.
    """
    firsts, later = _split_repeats(rows, key)
    for part in [firsts] + [[row] for row in later]:
        if part:
            _stage(con, table, columns(part))
            con.execute(sql(query))


def _split_repeats(rows: list[T], key: Callable[[T], Any]) -> tuple[list[T], list[T]]:
    """(the first row of every key, the later rows of a key seen before), both in order."""
    seen: set[Any] = set()
    firsts: list[T] = []
    later: list[T] = []
    for row in rows:
        k = key(row)
        (later if k in seen else firsts).append(row)
        seen.add(k)
    return firsts, later


def _write_run(con: duckdb.DuckDBPyConnection, run: RunRow) -> None:
    con.execute(sql("queries/insert_run"), [
        run.run_id, run.trigger, run.flow_run_id, run.started_at, run.ended_at or datetime.now(timezone.utc),
        run.status, run.sources_file, run.topic_file, json.dumps(run.counts, default=str),
        json.dumps(run.errors, default=str),
    ])


def seen_urls(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The URL keys (canonical forms) the spiders must not fetch again."""
    return [r[0] for r in con.execute(sql("queries/seen_urls")).fetchall() if r[0]]


def retry_pages(con: duckdb.DuckDBPyConnection) -> list[dict[str, str | None]]:
    """The failed pages with tries left: {"url", "source", "listed_in"} each, newest first."""
    return [{"url": url, "source": source, "listed_in": listed_in}
            for url, source, listed_in in con.execute(sql("queries/retry_pages")).fetchall()]


def poll_state(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """When each source is next due for a poll."""
    return {src: due for src, _, due in con.execute(sql("queries/source_state")).fetchall()}


def listing_state(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Validators per feed/sitemap URL, in the shape the spider's `state` argument takes."""
    out = {}
    for url, etag, last_modified, last_success in con.execute(sql("queries/listing_state")).fetchall():
        out[url] = {"etag": etag, "last_modified": last_modified,
                    "last_success": last_success.isoformat() if last_success else None}
    return out
