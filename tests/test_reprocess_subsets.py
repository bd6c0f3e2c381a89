"""`talkwatch reprocess` of a subset of the stored pages (`--source`, `--since`) against real DuckDB files.

A page stored as `duplicate` ("same page as X") points at another page's article. Re-processing it without X's own
page must leave that article as it is: it used to be deleted and re-derived from the variant alone, its text
replaced by the variant's. Pages are cleaned by process.page_job, collapsed and built by pipelines.batch, loaded by
storage.load, as a run does.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from pipelines import process
from pipelines.batch import build_batch, collapse_url_variants, judge_duplicate
from pipelines.process import PageInput
from pipelines.reprocess import reprocess
from pipelines.urls import canonical_url
from storage.load import article_id_for, load_batch
from storage.records import RunRow
from tests.storagerows import rows
from tests.test_canonical_collisions import HARVEST, SECTION_FIRST, TALKS, html

T = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
AMP = "https://amp.news.example.com/politics/talks-in-istanbul-june-2.amp"
HARVEST_URL = "https://news.example.com/economy/2026/03/05/early-wheat-harvest"
AMP_HARVEST = "https://amp.news.example.com/economy/early-wheat-harvest.amp"
VARIANT = TALKS[:3] + [TALKS[3][:120] + ".", "Reporting by the Istanbul bureau."]  # a near copy of TALKS

ARTICLES = ("SELECT article_id, url, canonical_url, source, title, text, published_at, published_local, "
            "modified_at, date_source, language, group_id, duplicate_of, duplicate_kind, fetched_at, first_seen_at "
            "FROM article_store ORDER BY article_id")


def page(url: str, source: str, paragraphs: list[str], canonical: str, fetched: datetime,
         title: str = "Talks in Istanbul on June 2") -> process.ProcessedPage:
    inp = PageInput(url=url, final_url=url, source=source, body=html(title, paragraphs, canonical),
                    fetched_at=fetched, content_type="text/html; charset=utf-8", encoding="utf-8")
    p = process.page_job((inp, None))
    assert p.outcome == "loaded", p.reason
    return p


def load(db, run_id: str, pages: list[process.ProcessedPage], older_code: bool = False):
    run = RunRow(run_id=run_id, trigger="test", started_at=T, ended_at=T, status="completed")
    batch = build_batch(run, collapse_url_variants(pages), [], [])
    if older_code:  # the loader before template canonicals were told apart: no own key to fall back on
        for a in batch.articles:
            a.own_canonical_url = None
    return load_batch(db, batch, judge_duplicate)


def page_rows(db) -> dict[str, tuple]:
    return {url: (outcome, reason, aid) for url, outcome, reason, aid in
            rows(db, "SELECT url, outcome, reason, article_id FROM pages")}


@pytest.fixture
def topic(tmp_path):
    t = tmp_path / "topic.toml"
    t.write_text('name = "t"\nkeep_all = true\n\n[terms]\nen = ["talks"]\n', encoding="utf-8")
    return str(t)


@pytest.mark.parametrize("subset", [{"source": "amp"}, {"since": T + timedelta(minutes=30)}],
                         ids=["source", "since"])
def test_reprocessing_a_variant_without_its_articles_page_leaves_that_article(tmp_path, topic, subset):
    """The story's page (source "example", fetched at T) holds the article; its AMP variant (source "amp", an hour
    later) was stored as the same page. The amp pages re-processed alone: the story's article keeps its id, text,
    dates and group; the amp outlet's own article is re-derived as a full reprocess would."""
    db = tmp_path / "t.duckdb"
    later = T + timedelta(hours=1)
    load(db, "r1", [page(SECTION_FIRST, "example", TALKS, SECTION_FIRST, T)])
    load(db, "r2", [page(AMP, "amp", VARIANT, SECTION_FIRST, later),
                    page(AMP_HARVEST, "amp", HARVEST, AMP_HARVEST, later, "Wheat harvest starts early")])
    story = article_id_for(canonical_url(SECTION_FIRST))
    assert page_rows(db)[AMP] == ("duplicate", f"same page as {SECTION_FIRST}", story)
    before = rows(db, ARTICLES)
    full = tmp_path / "full.duckdb"
    shutil.copy(db, full)

    report = reprocess(db, topic, **subset)
    assert rows(db, ARTICLES) == before  # the story's article was replaced by the variant's text
    assert report.pages == 2 and report.changed == 0
    assert page_rows(db)[AMP] == ("duplicate", f"same page as {SECTION_FIRST}", story)
    assert rows(db, "SELECT run_id FROM article_store WHERE article_id = ?", [story]) == [("r1",)]  # not rewritten
    assert reprocess(full, topic).changed == 0
    assert rows(db, ARTICLES) == rows(full, ARTICLES)


def test_reprocessing_an_articles_own_page_without_its_variant(tmp_path, topic):
    """The other way round: the story's page re-processed without the variant's re-derives the article from its
    own page, and the variant's page still names it."""
    db = tmp_path / "t.duckdb"
    load(db, "r1", [page(SECTION_FIRST, "example", TALKS, SECTION_FIRST, T)])
    load(db, "r2", [page(AMP, "amp", VARIANT, SECTION_FIRST, T + timedelta(hours=1))])
    before = rows(db, ARTICLES)
    assert reprocess(db, topic, source="example").changed == 0
    assert rows(db, ARTICLES) == before
    story = article_id_for(canonical_url(SECTION_FIRST))
    assert page_rows(db)[AMP] == ("duplicate", f"same page as {SECTION_FIRST}", story)


@pytest.mark.parametrize("subset", [{}, {"source": "economy"}], ids=["full", "source"])
def test_reprocess_separates_a_story_an_older_version_took_for_the_template_canonicals_page(tmp_path, topic,
                                                                                             subset):
    """An older database: the harvest story named the talks page as its canonical (a CMS template) and was stored
    as "same page as" it. A reprocess (all pages, or the harvest page's source alone) stores the harvest story as
    its own article, first seen when its page was fetched; the talks article stays as it was."""
    db = tmp_path / "t.duckdb"
    fetched = T + timedelta(days=1)
    load(db, "r1", [page(SECTION_FIRST, "politics", TALKS, SECTION_FIRST, T)])
    load(db, "r2", [page(HARVEST_URL, "economy", HARVEST, SECTION_FIRST, fetched, "Wheat harvest starts early")],
         older_code=True)
    talks = article_id_for(canonical_url(SECTION_FIRST))
    assert page_rows(db)[HARVEST_URL] == ("duplicate", f"same page as {SECTION_FIRST}", talks)
    before = rows(db, ARTICLES)
    assert len(before) == 1

    report = reprocess(db, topic, **subset)
    after = rows(db, ARTICLES)
    assert len(after) == 2 and report.changed == 1  # the harvest page's article
    assert before[0] in after  # the talks article: same id, text, dates, group
    own = canonical_url(HARVEST_URL)
    harvest = next(r for r in after if r[0] != talks)
    assert harvest[:6] == (article_id_for(own), HARVEST_URL, own, "economy", "Wheat harvest starts early",
                           "\n\n".join(HARVEST))
    assert harvest[11:14] == (article_id_for(own), None, None)  # its own group, an original
    assert harvest[14] == harvest[15] == fetched
    outcome, reason, aid = page_rows(db)[HARVEST_URL]
    assert outcome == "loaded" and aid == article_id_for(own) and "names another story" in reason
    assert page_rows(db)[SECTION_FIRST] == ("loaded", None, talks)


DANGLING = ("SELECT url, article_id FROM pages WHERE article_id IS NOT NULL "
            "AND article_id NOT IN (SELECT article_id FROM article_store) ORDER BY url")


def rekey(db, run_id: str, pages: list[process.ProcessedPage], key: str):
    """Load `pages` (one story and its URL variants) as an older version keyed them: under `key`, which this code
    does not derive from them, so a reprocess of the story's page stores it under another article id."""
    run = RunRow(run_id=run_id, trigger="test", started_at=T, ended_at=T, status="completed")
    batch = build_batch(run, collapse_url_variants(pages), [], [])
    old = article_id_for(key)
    for row in [*batch.articles, *(p for p in batch.pages if p.article_id)]:
        row.article_id, row.canonical_url = old, key
    return load_batch(db, batch, judge_duplicate)


def test_a_variants_page_follows_its_story_when_a_partial_reprocess_rekeys_it(tmp_path, topic):
    """The story's page (source "example") and its AMP variant (source "amp") stored under an older key; the
    story's page re-processed alone goes under this code's key, a new article id. The variant's page, not
    re-processed, used to keep naming the old id, which no longer existed; it names the story's new article."""
    db = tmp_path / "t.duckdb"
    old_key = "https://news.example.com/politics/talks-in-istanbul-june-2/"
    rekey(db, "r1", [page(SECTION_FIRST, "example", TALKS, SECTION_FIRST, T),
                     page(AMP, "amp", VARIANT, SECTION_FIRST, T + timedelta(minutes=5))], old_key)
    old = article_id_for(old_key)
    assert page_rows(db)[AMP] == ("duplicate", f"same page as {SECTION_FIRST}", old)

    reprocess(db, topic, source="example")
    story = article_id_for(canonical_url(SECTION_FIRST))
    assert [r[0] for r in rows(db, ARTICLES)] == [story]
    assert page_rows(db)[SECTION_FIRST] == ("loaded", None, story)
    assert page_rows(db)[AMP] == ("duplicate", f"same page as {SECTION_FIRST}", story)
    assert rows(db, DANGLING) == []


@pytest.mark.parametrize("subset", [{"source": "example"}, {}], ids=["source", "full"])
def test_no_page_names_an_article_a_reprocess_dropped(tmp_path, topic, subset):
    """A story that is off-topic under the new topic leaves the articles. Its page (re-processed) and its AMP
    variant's page (re-processed or not) used to keep naming its id; they name no article."""
    db = tmp_path / "t.duckdb"
    load(db, "r1", [page(SECTION_FIRST, "example", TALKS, SECTION_FIRST, T)])
    load(db, "r2", [page(AMP, "amp", VARIANT, SECTION_FIRST, T + timedelta(hours=1))])
    narrow = tmp_path / "narrow.toml"
    narrow.write_text('name = "n"\nkeep_all = false\n\n[terms]\nen = ["harvest"]\n', encoding="utf-8")

    reprocess(db, str(narrow), **subset)
    assert rows(db, ARTICLES) == []
    assert page_rows(db)[SECTION_FIRST][0] == "off-topic" and page_rows(db)[SECTION_FIRST][2] is None
    assert page_rows(db)[AMP][2] is None
    assert rows(db, DANGLING) == []


def test_a_full_reprocess_keeps_a_groups_stored_id(tmp_path, topic):
    """Two outlets' versions of one story under their own URLs: a group, its id the one stored first. A full
    reprocess re-derives both; the group used to take its smallest member's id, as a fresh load would."""
    other = "https://other.example.org/world/talks-in-istanbul"
    first, second = sorted([(SECTION_FIRST, "example", TALKS), (other, "other", VARIANT)],
                           key=lambda p: article_id_for(canonical_url(p[0])), reverse=True)
    db = tmp_path / "t.duckdb"
    load(db, "r1", [page(first[0], first[1], first[2], first[0], T)])
    load(db, "r2", [page(second[0], second[1], second[2], second[0], T + timedelta(hours=1))])
    kept = article_id_for(canonical_url(first[0]))
    assert {g for (g,) in rows(db, "SELECT group_id FROM article_store")} == {kept}

    reprocess(db, topic)
    assert rows(db, "SELECT group_id, count(*) FROM article_store GROUP BY ALL") == [(kept, 2)]
    assert rows(db, DANGLING) == []


def test_a_reprocess_mends_pages_an_earlier_one_left_naming_a_removed_article(tmp_path, topic):
    """A database an earlier reprocess left with pages naming ids no article has. A reprocess of another source's
    pages points such a page at the article stored under its canonical URL (the AMP variant's: the story's), and a
    page whose canonical URL holds no article at none."""
    db = tmp_path / "t.duckdb"
    load(db, "r1", [page(SECTION_FIRST, "example", TALKS, SECTION_FIRST, T)])
    load(db, "r2", [page(AMP, "amp", VARIANT, SECTION_FIRST, T + timedelta(hours=1)),
                    page(AMP_HARVEST, "amp", HARVEST, AMP_HARVEST, T + timedelta(hours=1),
                         "Wheat harvest starts early")])
    con = duckdb.connect(str(db))
    con.execute("UPDATE pages SET article_id = 'ffffffffffffffff' WHERE url = ?", [AMP])
    con.execute("UPDATE pages SET article_id = 'eeeeeeeeeeeeeeee', canonical_url = 'https://gone.example/x' "
                "WHERE url = ?", [AMP_HARVEST])
    con.close()
    assert len(rows(db, DANGLING)) == 2

    reprocess(db, topic, source="example")  # the amp pages are not re-processed
    story = article_id_for(canonical_url(SECTION_FIRST))
    assert page_rows(db)[AMP] == ("duplicate", f"same page as {SECTION_FIRST}", story)
    assert page_rows(db)[AMP_HARVEST][2] is None
    assert rows(db, DANGLING) == []
