"""`talkwatch export --format parquet|csv|jsonl`: real DuckDB files read back by DuckDB and pyarrow; folder rules."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from analysis.exports import ExportInputError, export_articles, export_sql
from analysis.outdir import check_out_dir, staged
from pipelines.cli import main
from storage.db import connect
from storage.load import article_id_for, load_batch
from storage.records import ArticleRow, PageRow, RunBatch, RunRow
from tests.coverage_db import build

MARKER = ".talkwatch-export.json"
MSK = timezone(timedelta(hours=3))
EXTRA_TEXT = 'Line one, with a comma and "quotes".\n\nLine two: переговоры в Стамбуле.'
EXTRA_AUTHORS = ["Анна Коваль", 'John "JJ" Smith']


def _extra(url: str, published: datetime, text: str, authors: list[str]) -> ArticleRow:
    h = hashlib.sha256(text.lower().encode()).hexdigest()
    return ArticleRow(
        article_id=article_id_for(url), url=url, canonical_url=url, source="world_news", title="Extra",
        published_at=published, published_precision="time", date_source="jsonld", date_confidence=0.9,
        modified_at=None, date_evidence='[{"kind": "jsonld", "raw": "x"}]', language="en", authors=authors,
        text=text, word_count=len(text.split()), fetched_at=datetime(2025, 6, 3, tzinfo=timezone.utc),
        exact_key=h, band_keys=[int(h[:15], 16)], relevance_score=3.0, matched_terms=["Istanbul"],
        topic_terms=["Istanbul"])


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """The coverage fixture plus two articles: one in June (+03:00, authors, a text CSV must quote) and one at
    01:30 Moscow time on 1 June, which is still 31 May in UTC, so it must land in month 2025-05."""
    path = tmp_path_factory.mktemp("db") / "talkwatch.duckdb"
    build(path)
    arts = [_extra("http://world_news.test/june", datetime(2025, 6, 2, 11, 15, tzinfo=MSK), EXTRA_TEXT, EXTRA_AUTHORS),
            _extra("http://world_news.test/edge", datetime(2025, 6, 1, 1, 30, tzinfo=MSK), "Edge of the month.", [])]
    run = RunRow(run_id="extra", trigger="test", started_at=arts[0].fetched_at, ended_at=arts[0].fetched_at,
                 status="completed")
    pages = [PageRow(url=a.url, source=a.source, outcome="loaded", reason=None, fetched_at=a.fetched_at, status=200,
                     canonical_url=a.url, article_id=a.article_id) for a in arts]
    load_batch(path, RunBatch(run=run, articles=arts, pages=pages), lambda a, b: None)
    return path


@pytest.fixture(scope="module")
def expected(db) -> dict:
    """What every export must hold: the export query's columns and rows, straight from the database."""
    con = connect(db, read_only=True)
    try:
        cur = con.execute(export_sql())
        columns = [d[0] for d in cur.description]
        rows = {r[0]: dict(zip(columns, r)) for r in cur.fetchall()}
        view_columns = [d[0] for d in con.execute("SELECT * FROM articles LIMIT 0").description]
        ids = {r[0] for r in con.execute("SELECT article_id FROM articles").fetchall()}
    finally:
        con.close()
    return {"columns": columns, "rows": rows, "view_columns": view_columns, "ids": ids}


def _export(db: Path, fmt: str, out: Path | str, *extra: str) -> int:
    return main(["export", "--format", fmt, "--out", str(out), "--db", str(db), *extra])


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("talkwatch export: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def _norm(v):
    return v.astimezone(timezone.utc) if isinstance(v, datetime) else v


def _same(a: dict, b: dict) -> None:
    assert {k: _norm(v) for k, v in a.items()} == {k: _norm(v) for k, v in b.items()}


# --- parquet ---------------------------------------------------------------------------------------------------

def test_parquet_reads_back_in_duckdb_with_the_same_rows_columns_and_types(db, expected, tmp_path, capsys):
    out = tmp_path / "pq"
    assert _export(db, "parquet", out) == 0
    msg = capsys.readouterr().out.strip()
    assert msg == f"wrote {len(expected['ids'])} articles to {out} (parquet, 2 files)"
    assert expected["columns"] == expected["view_columns"] + ["group", "country", "month"]
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{out}/**/*.parquet', hive_partitioning=true)")
    assert rel.columns == expected["columns"]
    types = dict(zip(rel.columns, map(str, rel.types)))
    assert types["published_at"] == types["first_seen_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["authors"] == types["matched_terms"] == "VARCHAR[]"
    assert types["date_evidence"] == types["month"] == "VARCHAR"
    got = {r[0]: dict(zip(rel.columns, r)) for r in rel.fetchall()}
    assert set(got) == expected["ids"]
    for article_id, row in got.items():
        _same(row, expected["rows"][article_id])


def test_parquet_reads_back_in_pyarrow_with_utc_timestamps_and_lists(db, expected, tmp_path):
    out = tmp_path / "pq"
    export_articles(db, "parquet", out)
    table = ds.dataset(out, partitioning="hive").to_table()
    assert table.column_names == expected["columns"]
    assert table.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("fetched_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("authors").type == pa.list_(pa.string())
    assert table.schema.field("topic_terms").type == pa.list_(pa.string())
    assert table.schema.field("date_evidence").type == pa.string()
    assert table.schema.field("month").type == pa.string()
    rows = {r["article_id"]: r for r in table.to_pylist()}
    assert set(rows) == expected["ids"]
    for article_id, row in rows.items():
        _same(row, expected["rows"][article_id])
    june = next(r for r in rows.values() if r["authors"] == EXTRA_AUTHORS)
    assert june["published_at"] == datetime(2025, 6, 2, 8, 15, tzinfo=timezone.utc)
    assert june["text"] == EXTRA_TEXT and june["month"] == "2025-06"
    assert june["group"] == "international" and june["country"] == "GB"


def test_parquet_has_one_hive_folder_per_utc_month(db, expected, tmp_path):
    out = tmp_path / "pq"
    result = export_articles(db, "parquet", out)
    months = {r["month"] for r in expected["rows"].values()}
    assert months == {"2025-05", "2025-06"}  # the 01:30 Moscow article of 1 June is 31 May in UTC
    assert {p.name for p in out.iterdir() if p.is_dir()} == {f"month={m}" for m in months}
    assert result.files == sorted(f"month={m}/data_0.parquet" for m in months)
    edge = next(r for r in expected["rows"].values() if r["url"].endswith("/edge"))
    assert edge["month"] == "2025-05"
    undated = next(r for r in expected["rows"].values() if r["published_at"] is None)
    assert undated["month"] == undated["first_seen_at"].astimezone(timezone.utc).strftime("%Y-%m")


# --- csv and jsonl ---------------------------------------------------------------------------------------------

def test_csv_has_a_header_json_lists_and_iso_timestamps(db, expected, tmp_path, capsys):
    out = tmp_path / "csv"
    assert _export(db, "csv", out) == 0
    assert capsys.readouterr().out.strip().endswith("(csv, 1 files)")
    assert sorted(os.listdir(out)) == [MARKER, "articles.csv"]
    with open(out / "articles.csv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == expected["columns"]
        rows = {r["article_id"]: r for r in reader}
    assert list(rows) == list(expected["rows"])  # published_at, then article_id; undated last
    for article_id, row in rows.items():
        want = expected["rows"][article_id]
        assert json.loads(row["authors"]) == want["authors"]
        assert json.loads(row["matched_terms"]) == want["matched_terms"]
        assert json.loads(row["date_evidence"]) == json.loads(want["date_evidence"])
        if want["published_at"] is None:
            assert row["published_at"] == ""
        else:
            assert datetime.fromisoformat(row["published_at"]) == want["published_at"]
            assert row["published_at"].endswith("+00:00")
        assert datetime.fromisoformat(row["first_seen_at"]) == want["first_seen_at"]
        assert row["text"] == want["text"] and row["group"] == want["group"] and row["month"] == want["month"]
    june = next(r for r in rows.values() if json.loads(r["authors"]) == EXTRA_AUTHORS)
    assert june["published_at"] == "2025-06-02T08:15:00.000000+00:00"


def test_jsonl_has_one_object_per_line_with_the_same_values(db, expected, tmp_path):
    out = tmp_path / "jsonl"
    result = export_articles(db, "jsonl", out)
    assert (result.rows, result.files, result.path) == (len(expected["ids"]), ["articles.jsonl"], out)
    lines = (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(expected["ids"])
    objs = {o["article_id"]: o for o in map(json.loads, lines)}
    assert set(objs) == expected["ids"] and list(objs) == list(expected["rows"])
    for article_id, obj in objs.items():
        want = expected["rows"][article_id]
        assert list(obj) == expected["columns"]
        assert obj["authors"] == want["authors"] and obj["topic_terms"] == want["topic_terms"]
        assert obj["date_evidence"] == json.loads(want["date_evidence"])  # a JSON value, not a string
        assert obj["published_at"] is None if want["published_at"] is None else (
            datetime.fromisoformat(obj["published_at"]) == want["published_at"])
        assert obj["text"] == want["text"] and obj["word_count"] == want["word_count"]


def test_marker_names_format_rows_and_files(db, tmp_path):
    out = tmp_path / "pq"
    result = export_articles(db, "parquet", out)
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert marker["talkwatch"] == "export" and marker["format"] == "parquet"
    assert marker["rows"] == result.rows and marker["files"] == result.files
    assert datetime.fromisoformat(marker["written_at"]).tzinfo is not None


def test_an_empty_database_still_writes_readable_files(tmp_path, capsys):
    db = tmp_path / "empty.duckdb"
    connect(db).close()  # creates the schema and views, no articles
    for fmt in ("parquet", "csv", "jsonl"):
        assert _export(db, fmt, tmp_path / fmt) == 0
        assert capsys.readouterr().out.startswith("wrote 0 articles to ")
    table = ds.dataset(tmp_path / "parquet", partitioning="hive").to_table()
    assert table.num_rows == 0 and "month" in table.column_names and "authors" in table.column_names
    assert table.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{tmp_path / 'parquet'}/**/*.parquet', hive_partitioning=true)")
    assert rel.fetchall() == [] and rel.columns == table.column_names
    header = (tmp_path / "csv" / "articles.csv").read_text(encoding="utf-8").splitlines()
    assert len(header) == 1 and header[0].startswith("article_id,url,source,")
    assert (tmp_path / "jsonl" / "articles.jsonl").read_text(encoding="utf-8") == ""


# --- the folder rules ------------------------------------------------------------------------------------------

def test_refuses_a_folder_with_foreign_files_and_leaves_them_alone(db, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    for extra in ((), ("--force",)):
        assert _export(db, "csv", out, *extra) == 2
        assert "holds no talkwatch export" in _one_error_line(capsys)
    assert os.listdir(out) == ["notes.txt"] and (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert _leftovers(tmp_path) == []


def test_refuses_an_existing_file_an_empty_name_and_a_path_under_a_file(db, tmp_path, capsys):
    afile = tmp_path / "report.csv"
    afile.write_text("x", encoding="utf-8")
    for out in (afile, "", "  ", afile / "sub"):
        assert _export(db, "csv", out) == 2
        _one_error_line(capsys)
    assert afile.read_text(encoding="utf-8") == "x"
    assert _leftovers(tmp_path) == []


def test_refuses_a_symlinked_out_even_to_an_empty_folder(db, tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    for out in (str(link), f"{link}/"):
        assert _export(db, "csv", out, "--force") == 2
        assert "symlink" in _one_error_line(capsys)
    assert os.listdir(real) == [] and link.is_symlink()


def test_refuses_the_current_folder_which_the_swap_would_pull_away(db, tmp_path, monkeypatch, capsys):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for out in (".", str(tmp_path)):
        assert _export(db, "csv", out) == 2
        assert "current folder" in _one_error_line(capsys)
    assert os.listdir(here) == []


def test_an_earlier_export_needs_force_which_replaces_it_whole(db, tmp_path, capsys):
    out = tmp_path / "exp"
    assert _export(db, "parquet", out) == 0
    (out / "month=2019-01").mkdir()  # as if an older export had a month this one lacks
    (out / "month=2019-01" / "data_0.parquet").write_bytes(b"stale")
    assert _export(db, "csv", out) == 2
    assert "--force" in _one_error_line(capsys)
    assert _export(db, "csv", out, "--force") == 0
    assert sorted(os.listdir(out)) == [MARKER, "articles.csv"]  # no partition of the parquet export survives
    assert json.loads((out / MARKER).read_text(encoding="utf-8"))["format"] == "csv"
    assert _leftovers(tmp_path) == []


def test_force_does_not_follow_a_symlink_planted_in_an_earlier_export(db, tmp_path):
    victim = tmp_path / "outside.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "exp"
    export_articles(db, "csv", out)
    (out / "articles.csv").unlink()
    (out / "articles.csv").symlink_to(victim)  # where the new export writes
    (out / "elsewhere").symlink_to(tmp_path)
    export_articles(db, "csv", out, force=True)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (out / "articles.csv").is_symlink() and not (out / "elsewhere").exists()
    assert (tmp_path / "outside.txt").exists() and _leftovers(tmp_path) == []


def test_a_symlinked_marker_does_not_make_a_folder_ours(db, tmp_path):
    earlier = tmp_path / "earlier"
    export_articles(db, "jsonl", earlier)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.bin").write_bytes(b"mine")
    (foreign / MARKER).symlink_to(earlier / MARKER)
    with pytest.raises(ExportInputError, match="holds no talkwatch export"):
        export_articles(db, "jsonl", foreign, force=True)
    assert (foreign / "data.bin").read_bytes() == b"mine"


def test_an_empty_folder_is_filled_and_missing_parents_are_made(db, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_articles(db, "jsonl", empty).files == ["articles.jsonl"]
    nested = tmp_path / "a" / "b" / "c"
    assert export_articles(db, "csv", nested).path == nested
    assert (nested / "articles.csv").is_file() and _leftovers(tmp_path) == []


def test_a_failure_while_writing_removes_the_staging_folder(tmp_path):
    target = check_out_dir(tmp_path / "out", "export")
    with pytest.raises(RuntimeError, match="boom"):
        with staged(target) as tmp:
            (tmp / "half.csv").write_text("half", encoding="utf-8")
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_missing_database_and_unknown_format(tmp_path, capsys):
    assert _export(tmp_path / "nope.duckdb", "csv", tmp_path / "out") == 2
    assert "no database" in _one_error_line(capsys)
    with pytest.raises(ExportInputError, match="unknown format"):
        export_articles(tmp_path / "nope.duckdb", "xlsx", tmp_path / "out")
    assert os.listdir(tmp_path) == []


def test_refuses_a_folder_that_holds_the_database(tmp_path, capsys):
    folder = tmp_path / "exp"
    db = tmp_path / "talkwatch.duckdb"
    build(db)
    export_articles(db, "csv", folder)
    moved = folder / "talkwatch.duckdb"
    db.rename(moved)
    assert _export(moved, "csv", folder, "--force") == 2
    assert "contains" in _one_error_line(capsys)
    assert moved.is_file()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores folder permissions")
def test_an_unwritable_parent_is_a_storage_failure(db, tmp_path, capsys):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        assert _export(db, "csv", parent / "out") == 4
        _one_error_line(capsys)
        assert os.listdir(parent) == []
    finally:
        parent.chmod(0o700)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_a_folder_that_cannot_be_created_is_a_storage_failure(db, capsys):
    """/proc takes no new folders, not even from root: the write fails after the checks passed."""
    assert _export(db, "csv", "/proc/talkwatch-export-test") == 4
    assert "cannot create a folder in /proc" in _one_error_line(capsys)


def test_a_locked_database_is_busy(db, tmp_path, capsys):
    """Another process holds the file open for writing (as a run does): exit 3, nothing written."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                               "sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert _export(db, "csv", tmp_path / "out", "--lock-timeout", "0.2") == 3
        assert "locked" in _one_error_line(capsys)
    finally:
        holder.communicate("")
    assert os.listdir(tmp_path) == []


# --- text ------------------------------------------------------------------------------------------------------

def test_text_files_all_have_a_date_line_and_an_undated_one_says_unknown(db, expected, tmp_path):
    """The text export left the date line out of an undated article's file, so the second block was its first
    paragraph there and the date everywhere else; now every file has title, date line, text."""
    out = tmp_path / "text"
    assert _export(db, "text", out) == 0
    files = sorted(f for f in out.iterdir() if f.name != MARKER)
    originals = [r for r in expected["rows"].values() if r["duplicate_of"] is None]
    assert len(files) == len(originals)
    undated = {r["content_hash"][:16] for r in originals if r["published_local"] is None}
    assert undated  # the fixture has undated originals
    for f in files:
        blocks = f.read_text(encoding="utf-8").rstrip("\n").split("\n\n")
        if f.stem.split("_")[1] in undated:
            assert blocks[1] == "unknown", f.name
        else:
            datetime.fromisoformat(blocks[1])  # an ISO date or instant
        assert blocks[-1].startswith("Original url: ")
