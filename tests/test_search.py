"""Full-text search on real DuckDB files: stemmed per language (en, ru, uk, tr), BM25 with the title first, filters,
the SQL macro, the index kept up to date by loads, reprocess and migrations, and bad queries answered in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from storage.db import DatabaseOutdated, connect
from storage.sqlfiles import migrations, sql
from tests import coverage_db
from tests.coverage_db import row

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("search") / "t.duckdb"
    coverage_db.build(path)
    return path


def hits(db: Path, query: str, *extra: str) -> list[dict]:
    """Run `talkwatch search --format json` in-process and return its hits."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["search", query, "--db", str(db), "--format", "json", *extra]) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def titles(db: Path, query: str, *extra: str) -> list[str]:
    return [h["title"] for h in hits(db, query, *extra)]


def test_english_inflections_meet_through_the_stemmer(db):
    # "negotiating" is in no article: the stem joins it to "negotiators" / "negotiations"
    assert titles(db, "negotiating") == ["Ceasefire memorandum handed over in Istanbul"] * 3
    assert "Prisoner exchange agreed" in titles(db, "exchanges")


def test_russian_inflections_and_a_cyrillic_query_reaches_ukrainian_articles(db):
    found = hits(db, "переговоры")  # the articles say переговоры, переговорами, переговорах, переговорів
    by_lang = {h["language"] for h in found}
    assert by_lang == {"ru", "uk"}
    assert found[0]["title"] == "Переговоры в Стамбуле завершились"  # the title match ranks first
    assert titles(db, "обмен Стамбул") == ["Переговоры в Стамбуле завершились"]  # обмене, Стамбуле


def test_ukrainian_has_a_light_stemmer(db):
    # перемовини (title) / перемовини (text); полоненими <- полонені; Стамбулі <- Стамбул
    assert titles(db, "полонені Стамбул", "--lang", "uk") == ["Перемовини у Стамбулі: обмін полоненими"]
    assert "Меморандум про перемир'я" in titles(db, "меморандуму", "--lang", "uk")


def test_turkish_suffixes_and_dotted_capital_i(db):
    assert titles(db, "müzakere") == ["İstanbul'da müzakereler sürüyor"]
    assert titles(db, "istanbul", "--lang", "tr") == ["İstanbul'da müzakereler sürüyor"]  # İstanbul'da
    assert titles(db, "MÜZAKERELERİ") == ["İstanbul'da müzakereler sürüyor"]


def test_a_title_match_ranks_above_a_text_match(tmp_path):
    path = tmp_path / "rank.duckdb"
    coverage_db.build(path, copies=False)
    text_only = row(100, "world_news", "en", "Diplomats meet again",
                    "The memorandum was discussed. A second memorandum followed, and a third memorandum was "
                    "drafted by the talks' delegations in the memorandum session.", 50, False, ["memorandum"])
    coverage_db.load(path, [text_only])
    found = hits(path, "memorandum", "--lang", "en")
    assert found[0]["title"] == "Ceasefire memorandum handed over in Istanbul"
    assert [h["title"] for h in found] == ["Ceasefire memorandum handed over in Istanbul", "Diplomats meet again"]
    assert found[0]["score"] > found[1]["score"] > 0


def test_every_word_must_match_unless_any(db):
    assert titles(db, "ceasefire prisoner") == ["Prisoner exchange agreed"]
    assert len(titles(db, "ceasefire prisoner", "--any")) == 4  # 3 copies of the memorandum story + prisoners


def test_a_quoted_phrase_must_appear_as_written(db):
    assert titles(db, '"prisoner exchange"') == ["Prisoner exchange agreed"]
    assert titles(db, '"exchange prisoner"') == []


def test_filters(db):
    assert {h["source"] for h in hits(db, "ceasefire")} == {"world_news", "moscow_daily", "ankara_post"}
    assert {h["source"] for h in hits(db, "ceasefire", "--source", "moscow_daily")} == {"moscow_daily"}
    assert {h["group"] for h in hits(db, "ceasefire", "--group", "turkish")} == {"turkish"}
    originals = hits(db, "ceasefire", "--originals-only")
    assert originals and all(h["original"] for h in originals)
    assert len(originals) == 2  # the two world_news originals; the copies are out
    # the memorandum story: 09:30 original, 13:30 and 16:30 copies on 2025-05-16 (UTC)
    assert len(hits(db, "memorandum", "--lang", "en", "--since", "2025-05-16T12:00:00")) == 2
    assert len(hits(db, "memorandum", "--lang", "en", "--until", "2025-05-15")) == 0
    assert len(hits(db, "memorandum", "--lang", "en", "--until", "2025-05-16")) == 3
    assert len(hits(db, "memorandum", "--lang", "en", "--limit", "1")) == 1


def test_hits_carry_a_snippet_around_the_match(db):
    h = hits(db, "перемир'я", "--lang", "uk")[0]
    assert "перемир" in h["snippet"].lower()
    assert h["published_at"] is None  # undated articles are found too
    assert h["url"].startswith("http://kyiv_wire.test/")


def test_the_macro_works_in_any_query(db):
    con = connect(db, read_only=True)
    try:
        rows = con.execute("""
            SELECT s."group", count(*) FROM search_articles('ceasefire') a JOIN sources s USING (source)
            GROUP BY ALL ORDER BY 1""").fetchall()
        assert rows == [("international", 2), ("russian-state", 1), ("turkish", 1)]
        assert con.execute("SELECT count(*) FROM search_articles('ceasefire prisoner', match_any := true)"
                           ).fetchone()[0] == 4
    finally:
        con.close()


def test_the_index_follows_loads_reprocess_and_migrations(tmp_path):
    path = tmp_path / "t.duckdb"
    coverage_db.build(path)
    assert titles(path, "Driscoll") == []
    coverage_db.load(path, [row(200, "world_news", "en", "Driscoll joins the talks",
                                "Driscoll said the delegations met.", 60, False, ["negotiations"])])
    assert titles(path, "Driscoll") == ["Driscoll joins the talks"]
    reprocessed = tmp_path / "topic.toml"
    reprocessed.write_text((ROOT / "config" / "topic.toml").read_text(encoding="utf-8"), encoding="utf-8")
    from pipelines.reprocess import reprocess

    report = reprocess(path, str(reprocessed))  # every stored article re-derived from its page, in one transaction
    assert report.articles_after > 0
    con = connect(path, read_only=True)
    indexed, articles = con.execute(
        "SELECT (SELECT count(*) FROM search_docs), (SELECT count(*) FROM articles)").fetchone()
    con.close()
    assert indexed == articles > 0  # those that left the articles left the index too
    assert titles(path, "Мединский") == ["Мединский о меморандуме"]


def test_a_file_from_before_the_index_is_indexed_when_it_is_upgraded(tmp_path, capsys):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))  # the schema of talkwatch before migration 003, with one article in it
    con.execute(sql("schema_migrations"))
    for version, name, text in migrations():
        if version < 3:
            con.execute(text)
            con.execute(sql("queries/record_migration"), [version, name])
    con.execute("""INSERT INTO article_store (article_id, url, canonical_url, source, title, published_precision,
                       date_source, language, text, word_count, relevant, exact_key, content_hash, group_id,
                       fetched_at, first_seen_at, run_id, updated_at)
                   VALUES ('a1', 'http://o.test/1', 'http://o.test/1', 'old', 'Переговоры в Женеве', 'none',
                           'none', 'ru', 'Делегации провели переговоры.', 3, true, 'k', 'h', 'a1', now(), now(),
                           'r', now())""")
    con.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseOutdated, match="talkwatch upgrade"):  # a reader never migrates behind one's back
        connect(path, read_only=True)
    assert main(["search", "переговорах", "--db", str(path)]) == 2
    assert f"run `talkwatch upgrade --db {path}` first" in capsys.readouterr().err
    assert path.read_bytes() == before
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "upgrade", "--db", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"upgraded {path}: applied 003_analysis.sql"
    assert titles(path, "переговорах") == ["Переговоры в Женеве"]  # the upgrade indexed what the file held


@pytest.mark.parametrize("query, message", [
    ("", "empty"),
    ("   ", "empty"),
    ("the and of", "only stop words"),
    ("и в на", "only stop words"),
    ("...!?", "only stop words"),
    ("a" * 65, "longer than 64 letters"),  # the index holds words of 1 to 64 characters
    ('"unbalanced quote', "unbalanced quote"),
    ("x" * 10_000, "at most 1000"),
])
def test_bad_queries_get_one_clear_line(db, query, message):
    before = db.read_bytes()
    p = subprocess.run([sys.executable, "-m", "pipelines.cli", "search", query, "--db", str(db)],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("talkwatch search: ") and message in lines[0], p.stderr
    assert "Traceback" not in p.stderr
    assert db.read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (["--lang", "english"], "--lang"),
    (["--limit", "0"], "--limit"),
    (["--since", "yesterday"], "--since"),
    (["--since", "2025-06-01", "--until", "2025-05-01"], "period is empty"),
])
def test_bad_filters_get_one_clear_line(db, args, message, capsys):
    assert main(["search", "ceasefire", "--db", str(db), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_missing_database_is_said_and_not_created(tmp_path, capsys):
    missing = tmp_path / "none.duckdb"
    assert main(["search", "ceasefire", "--db", str(missing)]) == 2
    assert "no database" in capsys.readouterr().err
    assert not missing.exists()


def test_a_file_that_is_no_database_is_said_in_one_line(tmp_path, capsys):
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database")
    for db in (garbage, ""):
        assert main(["search", "ceasefire", "--db", str(db)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("talkwatch search: ")
    assert garbage.read_bytes() == b"not a database"


def test_a_query_with_no_hits_is_an_empty_answer(db, capsys):
    assert main(["search", "Galatasaray", "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert "(0 rows)" in out.out and "no article matches" in out.err


def test_table_cells_cannot_send_terminal_escapes():
    # a crawled title is data: printed in a table, an ESC sequence in it is shown escaped, not obeyed
    from analysis.output import format_table

    out = format_table(["title\x1b[31m"], [("Talks\x1b[2J resume\tin\rIstanbul\x07",), (None,)])
    assert "\x1b" not in out and "\x07" not in out and "\t" not in out and "\r" not in out
    assert "Talks\\x1b[2J resume in Istanbul\\x07" in out and "title\\x1b[31m" in out and "NULL" in out
    # a bidi override reorders the rest of the terminal line (a title could show reversed); Arabic's marks stay
    out = format_table(["title"], [("Talks \u202eludnatsI\u202c in \u2067x\u2069 \u200fمفاوضات",)])
    assert not any(c in out for c in "\u202e\u202c\u2067\u2069") and "\\u202eludnatsI\\u202c" in out
    assert "\u200fمفاوضات" in out
