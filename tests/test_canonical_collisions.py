"""A page whose declared canonical names ANOTHER story (a CMS template bug) must not be lost as "the same page".

The real path: pages cleaned by process.page_job (trafilatura reads <link rel=canonical>), URL variants collapsed
by batch.collapse_url_variants, rows built by batch.build_batch and loaded by storage.load.load_batch with the
project's own duplicate judge.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pipelines import process
from pipelines.batch import build_batch, collapse_url_variants, judge_duplicate
from pipelines.process import PageInput
from pipelines.urls import canonical_url
from storage.load import article_id_for, load_batch
from storage.records import RunRow
from tests.storagerows import rows

T = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
SECTION_FIRST = "https://news.example.com/politics/2026/03/04/talks-in-istanbul-june-2"

TALKS = [
    "Russia proposed holding the next round of direct talks with Ukraine on June 2 in Istanbul, the foreign "
    "minister said on Wednesday, adding that a memorandum setting out Moscow's position had been prepared.",
    "The minister told reporters that the delegation would again be led by the presidential aide who headed "
    "the first round, and that the memorandum would be handed over at the start of the meeting.",
    "Kyiv has not yet confirmed whether it will attend. A spokesman for the foreign ministry in Kyiv said the "
    "government expected to receive the Russian document in advance so that it could be studied properly.",
    "Turkish officials said the venue at the Ciragan palace was ready for the delegations, and that the host "
    "country would again provide interpreters and security for both sides during the talks.",
]
HARVEST = [
    "Farmers in the south of the country began the wheat harvest two weeks earlier than usual this year after "
    "an unusually warm and dry spring, the agriculture ministry said in a statement on Tuesday.",
    "Officials expect the yield to fall by about a tenth compared with last season because of the drought, "
    "though prices on the domestic market have so far remained stable, traders in the region said.",
    "Grain exporters said shipments from the Black Sea ports had resumed after a short pause caused by storms, "
    "and that contracts signed in the spring would be honoured despite the smaller crop.",
    "The ministry said it would release part of the state reserve if bread prices rose sharply in the autumn, "
    "a measure last used three years ago during a similar drought in the same regions.",
]
FLOODS = [
    "Heavy rain caused rivers to burst their banks across the northern provinces overnight, forcing hundreds of "
    "families to leave their homes, the emergency services said early on Thursday morning.",
    "Rescue teams used boats to reach villages cut off by the water, and several roads and a railway line were "
    "closed after parts of them were washed away by the fast-flowing floods.",
    "Forecasters warned that more rain was expected over the weekend and that water levels in the main river "
    "could rise further, putting the regional capital at risk of flooding for the first time in a decade.",
    "The regional governor declared a state of emergency and said temporary shelters had been opened in schools "
    "and sports halls for those who had lost their homes or could not reach them.",
]


def html(title: str, paragraphs: list[str], canonical: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<link rel='canonical' href='{canonical}'>"
            f"<meta property='article:published_time' content='2026-03-04T09:00:00+00:00'></head>"
            f"<body><header><nav><a href='/'>Home</a> <a href='/politics'>Politics</a></nav></header>"
            f"<article><h1>{title}</h1>{body}</article><footer>(c) Example News</footer></body></html>").encode()


def page(url: str, title: str, paragraphs: list[str], canonical: str) -> process.ProcessedPage:
    inp = PageInput(url=url, final_url=url, source="example", body=html(title, paragraphs, canonical), fetched_at=T,
                    content_type="text/html; charset=utf-8", encoding="utf-8")
    p = process.page_job((inp, None))
    assert p.outcome == "loaded", p.reason
    return p


def load(db, run_id: str, pages: list[process.ProcessedPage]):
    run = RunRow(run_id=run_id, trigger="test", started_at=T, ended_at=T, status="completed")
    return load_batch(db, build_batch(run, collapse_url_variants(pages), [], []), judge_duplicate)


def stored(db) -> dict[str, tuple]:
    return {cu: (aid, url, title) for aid, url, cu, title in
            rows(db, "SELECT article_id, url, canonical_url, title FROM article_store")}


def page_rows(db) -> dict[str, tuple]:
    return {url: (outcome, reason, canon, aid) for url, outcome, reason, canon, aid in
            rows(db, "SELECT url, outcome, reason, canonical_url, article_id FROM pages")}


def test_template_canonical_naming_a_stored_other_story_is_stored_under_its_own_url(tmp_path):
    db = tmp_path / "t.duckdb"
    load(db, "r1", [page(SECTION_FIRST, "Talks in Istanbul on June 2", TALKS, SECTION_FIRST)])
    harvest_url = "https://news.example.com/economy/2026/03/05/early-wheat-harvest"
    report = load(db, "r2", [page(harvest_url, "Wheat harvest starts early", HARVEST, SECTION_FIRST)])

    articles = stored(db)
    own = canonical_url(harvest_url)
    assert set(articles) == {canonical_url(SECTION_FIRST), own}
    assert articles[own][0] == article_id_for(own) and articles[own][2] == "Wheat harvest starts early"
    assert articles[canonical_url(SECTION_FIRST)][2] == "Talks in Istanbul on June 2"  # the stored one untouched
    assert report.articles_new == 1 and report.same_page == 0
    outcome, reason, canon, aid = page_rows(db)[harvest_url]
    assert outcome == "loaded" and canon == own and aid == article_id_for(own)
    assert "another story" in reason and canonical_url(SECTION_FIRST) in reason


def test_template_canonical_naming_another_page_of_the_batch_is_stored_under_its_own_url(tmp_path):
    db = tmp_path / "t.duckdb"
    harvest_url = "https://news.example.com/economy/2026/03/05/early-wheat-harvest"
    floods_url = "https://news.example.com/regions/2026/03/05/floods-in-the-north"
    # the two wrongly declaring pages come first: the page that really is at the canonical URL must keep it
    pages = [page(harvest_url, "Wheat harvest starts early", HARVEST, SECTION_FIRST),
             page(floods_url, "Floods in the north", FLOODS, SECTION_FIRST),
             page(SECTION_FIRST, "Talks in Istanbul on June 2", TALKS, SECTION_FIRST)]
    report = load(db, "r1", pages)

    articles = stored(db)
    assert set(articles) == {canonical_url(SECTION_FIRST), canonical_url(harvest_url), canonical_url(floods_url)}
    assert articles[canonical_url(SECTION_FIRST)][2] == "Talks in Istanbul on June 2"
    assert articles[canonical_url(harvest_url)][2] == "Wheat harvest starts early"
    assert articles[canonical_url(floods_url)][2] == "Floods in the north"
    assert report.articles_new == 3
    by_url = page_rows(db)
    assert {o for o, _, _, _ in by_url.values()} == {"loaded"}
    for url in (harvest_url, floods_url):
        assert by_url[url][2] == canonical_url(url) and "another story" in by_url[url][1]
    assert by_url[SECTION_FIRST][1] is None  # the page at the URL keeps it, with no note


def test_template_canonical_naming_a_batch_page_that_is_absent(tmp_path):
    """Two different stories name the same third URL, not in the batch: neither takes it (it is clearly not the
    canonical of both), so when that page is fetched later it is stored under its own URL, as itself."""
    db = tmp_path / "t.duckdb"
    harvest_url = "https://news.example.com/economy/2026/03/05/early-wheat-harvest"
    floods_url = "https://news.example.com/regions/2026/03/05/floods-in-the-north"
    load(db, "r1", [page(harvest_url, "Wheat harvest starts early", HARVEST, SECTION_FIRST),
                    page(floods_url, "Floods in the north", FLOODS, SECTION_FIRST)])
    assert set(stored(db)) == {canonical_url(harvest_url), canonical_url(floods_url)}
    load(db, "r2", [page(SECTION_FIRST, "Talks in Istanbul on June 2", TALKS, SECTION_FIRST)])
    assert stored(db)[canonical_url(SECTION_FIRST)][2] == "Talks in Istanbul on June 2"


def test_true_canonical_of_a_near_identical_variant_still_collapses(tmp_path):
    """An AMP/syndicated variant declaring the story's URL, its text nearly the same (a trimmed last paragraph and
    a credit line): one article, stored or in the same batch, as before."""
    variant = TALKS[:3] + [TALKS[3][:120] + ".", "Reporting by the Istanbul bureau."]
    amp_url = "https://amp.news.example.com/politics/talks-in-istanbul-june-2.amp"

    db = tmp_path / "stored.duckdb"
    load(db, "r1", [page(SECTION_FIRST, "Talks in Istanbul on June 2", TALKS, SECTION_FIRST)])
    report = load(db, "r2", [page(amp_url, "Talks in Istanbul on June 2", variant, SECTION_FIRST)])
    assert set(stored(db)) == {canonical_url(SECTION_FIRST)}
    assert report.articles_new == 0 and report.same_page == 1
    outcome, reason, canon, aid = page_rows(db)[amp_url]
    assert outcome == "duplicate" and reason == f"same page as {SECTION_FIRST}"
    assert aid == article_id_for(canonical_url(SECTION_FIRST))

    db = tmp_path / "batch.duckdb"
    report = load(db, "r1", [page(amp_url, "Talks in Istanbul on June 2", variant, SECTION_FIRST),
                             page(SECTION_FIRST, "Talks in Istanbul on June 2", TALKS, SECTION_FIRST)])
    assert set(stored(db)) == {canonical_url(SECTION_FIRST)}
    assert report.articles_new == 1
    by_url = page_rows(db)
    assert by_url[SECTION_FIRST][0] == "duplicate" and by_url[amp_url][0] == "loaded"  # first in the batch wins


def test_pages_collapsed_onto_a_template_canonical_page_follow_it(tmp_path):
    """The wrongly declaring story came with a variant of itself (same canonical, near-identical text): both pages
    end on the story's own article, not on the stored story the template named."""
    db = tmp_path / "t.duckdb"
    load(db, "r1", [page(SECTION_FIRST, "Talks in Istanbul on June 2", TALKS, SECTION_FIRST)])
    harvest_url = "https://news.example.com/economy/2026/03/05/early-wheat-harvest"
    variant_url = "https://news.example.com/economy/2026/03/05/early-wheat-harvest-print"
    load(db, "r2", [page(harvest_url, "Wheat harvest starts early", HARVEST, SECTION_FIRST),
                    page(variant_url, "Wheat harvest starts early", HARVEST[:3], SECTION_FIRST)])
    own = canonical_url(harvest_url)
    assert set(stored(db)) == {canonical_url(SECTION_FIRST), own}
    by_url = page_rows(db)
    assert by_url[harvest_url][0] == "loaded" and by_url[harvest_url][3] == article_id_for(own)
    assert by_url[variant_url][:2] == ("duplicate", f"same page as {harvest_url}")
    assert by_url[variant_url][2:] == (own, article_id_for(own))


def test_loader_alone_keys_another_story_by_its_own_url(tmp_path):
    """storage.load without the pipelines' collapse: a batch article naming a stored or an earlier batch article of
    another story as canonical goes under its own key; one without an own key is the same page, as before."""
    from tests.storagerows import OTHER, STORY, article, batch, words_judge

    db = tmp_path / "t.duckdb"
    load_batch(db, batch("r1", [article("http://a.test/1", STORY)]), words_judge)

    def naming(url: str, text: str, canonical: str, own: bool = True):
        a = article(url, text)
        a.own_canonical_url = url if own else None
        a.canonical_url, a.article_id = canonical, article_id_for(canonical)
        return a

    b = batch("r2", [naming("http://a.test/2", OTHER, "http://a.test/1"),        # a stored other story
                     naming("http://a.test/3", STORY, "http://a.test/1"),        # a true variant: same page
                     article("http://a.test/4", STORY.replace("Russia", "Moscow") + " Extra words here."),
                     naming("http://a.test/5", OTHER + " More.", "http://a.test/4"),  # a batch page's other story
                     naming("http://a.test/6", OTHER.upper() + " Again.", "http://a.test/1", own=False)])
    report = load_batch(db, b, words_judge)
    assert set(stored(db)) == {f"http://a.test/{i}" for i in (1, 2, 4, 5)}
    assert report.articles_new == 3 and report.same_page == 2
    by_url = page_rows(db)
    assert by_url["http://a.test/2"][0] == "loaded" and "another story" in by_url["http://a.test/2"][1]
    assert by_url["http://a.test/2"][2:] == ("http://a.test/2", article_id_for("http://a.test/2"))
    assert by_url["http://a.test/5"][2:] == ("http://a.test/5", article_id_for("http://a.test/5"))
    assert by_url["http://a.test/3"][:2] == ("duplicate", "same page as http://a.test/1")
    assert by_url["http://a.test/6"][:2] == ("duplicate", "same page as http://a.test/1")
