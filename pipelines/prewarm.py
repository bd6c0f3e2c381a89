"""What a page worker needs before its first page, done once in the fork server that every worker is forked from.

Why: each spawned worker used to import the pipeline (about 1 s), load the language model (73 MiB) and, at its
first date string no fast rule reads, have dateparser compile every locale's patterns (3.5 s of CPU, 42 MiB). Two
workers paid that twice, and a pool restarted after a hung page paid it again. Imported by `multiprocessing`'s fork
server (pipelines.isolation), this does it once and the forked workers start at once (bench/peers.py: 118 -> 108 s
of CPU for 1,217 articles). For most of it that saves CPU, not memory: the workers inherit these pages
copy-on-write, but Python 3.11's reference counts write to most of them, so each worker ends up with its own copy
anyway (peak PSS 917 -> 939 MiB, the same within noise). jusText's stop-word set of all its languages is the
exception: about 30 MiB that a worker built at its first fallback page, and that stays shared once built here,
since looking a word up does not touch the stored strings (a worker's private memory after its first page: 41 ->
10 MiB). Importing the module does the work: a fork server can only be told module names.
"""

from __future__ import annotations

import gc
from datetime import datetime, timezone

from htmldate.extractors import get_external_parser, month_words

from pipelines import process
from pipelines.cleaning.metadata import language_identifier
from pipelines.relevance import Topic

# one small page that takes every lazy path of page_job: extraction, language detection, dating with a written
# date, so the first real page of every worker costs what the others cost
_PAGE = ("<html lang='uk'><head><title>Переговори у Стамбулі</title></head><body><article><h1>Переговори у "
         "Стамбулі</h1><p>Опубліковано 3 березня 2025 року.</p>"
         + "<p>Делегації зустрілися в Стамбулі, щоб обговорити обмін полоненими та припинення вогню.</p>" * 6
         + "</article></body></html>").encode()


def warm() -> None:
    """Load everything a worker loads lazily, then freeze the heap so the forked workers keep sharing it.

    A warm-up that fails costs only speed (each worker then loads what it needs itself), never the run: the fork
    server gives up on its whole start-up for anything but an ImportError.
    """
    try:
        _load()
    except Exception:  # noqa: BLE001 - see docstring
        pass
    # objects that survive from here on are never scanned by the collector, which would otherwise walk (and so
    # un-share) every page of them in every worker at each full collection
    gc.freeze()


def _load() -> None:
    language_identifier()
    # a string no locale reads makes dateparser try, and so compile, every one of its locales
    get_external_parser().get_date_data("12 qqqq 2019")
    month_words()
    # jusText, trafilatura's last fallback, builds one stop-word set of all its languages at its first use
    from justext.core import define_stoplist
    from trafilatura.external import jt_stoplist_init

    define_stoplist(jt_stoplist_init())
    now = datetime.now(timezone.utc)
    page = process.PageInput(url="https://warm.example/news/1.html", final_url="https://warm.example/news/1.html",
                             source="warm", body=_PAGE, fetched_at=now, content_type="text/html")
    process.page_job((page, Topic(name="warm", keep_all=True, terms={"uk": ["переговори"]})))


warm()
