"""The report page's HTML: escaping, tables, sections, the stylesheet and the small scripts (no library, no network)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

GENERATOR = "talkwatch report"
GENERATOR_META = f'<meta name="generator" content="{GENERATOR}">'
# No network at all: every script and style is inline, images may only be data: (plotly's "download as PNG").
# `connect-src 'none'` and `default-src 'none'` mean that even a value that slipped through escaping could not
# send anything anywhere. Links in the tables are navigations the reader chooses, which CSP does not govern.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'")

CSS = """
:root { --ink: #222; --muted: #666; --line: #ddd; --bg: #fafafa; --accent: #4e79a7; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: var(--bg); }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 2px; }
h3 { font-size: 14px; margin: 14px 0 4px; }
.meta { color: var(--muted); margin: 0 0 10px; }
.meta code { font-size: 12px; word-break: break-all; }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; padding: 0; list-style: none; }
.stats li { background: white; border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.stats b { display: block; font-size: 22px; }
.stats span { color: var(--muted); font-size: 12px; }
.howto { background: #eef3f9; border-left: 4px solid var(--accent); padding: 8px 12px; margin: 10px 0; }
.gaps { background: #fff7e6; border-left: 4px solid #f28e2b; padding: 8px 12px; margin: 10px 0; }
.gaps h2 { font-size: 15px; }
.gaps ul { margin: 4px 0 0; padding-left: 20px; }
nav { margin: 12px 0 0; font-size: 13px; }
nav a { margin-right: 12px; color: var(--accent); text-decoration: none; white-space: nowrap; }
section { background: white; border: 1px solid var(--line); border-radius: 6px; margin: 16px 0; padding: 14px 16px; }
.caption { color: var(--muted); margin: 0 0 8px; font-size: 13px; }
.caption code { font-size: 12px; }
.chart { width: 100%; }
.missing { color: #8a5a00; background: #fff7e6; border: 1px dashed #f2b36b; border-radius: 4px; padding: 14px;
           margin: 6px 0; text-align: center; }
.tablewrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; position: sticky; top: 0; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " ↕"; color: #aaa; font-size: 11px; }
table.sortable th[aria-sort="ascending"]::after { content: " ▲"; color: var(--ink); }
table.sortable th[aria-sort="descending"]::after { content: " ▼"; color: var(--ink); }
tr.stale td { background: #fdecec; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; background: #eee; }
.badge.copy { background: #fde3c8; }
.latest-tools { display: flex; align-items: center; gap: 12px; margin: 0 0 8px; }
.latest-tools input { flex: 0 1 360px; padding: 6px 8px; font: inherit; border: 1px solid #bbb; border-radius: 4px; }
.scroll { max-height: 640px; overflow: auto; border: 1px solid #eee; }
td.title { min-width: 260px; }
td.when { white-space: nowrap; }
footer { color: var(--muted); font-size: 12px; padding-bottom: 24px; }
"""

# The latest-articles filter and the sortable tables; wired with addEventListener, never inline handlers.
SCRIPT = """
(function () {
  "use strict";
  var box = document.getElementById("latest-filter");
  var table = document.getElementById("latest-table");
  var count = document.getElementById("latest-count");
  if (box && table && count) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
    var show = function () {
      var q = box.value.trim().toLowerCase();
      var n = 0;
      rows.forEach(function (r, i) {
        var hit = q === "" || texts[i].indexOf(q) !== -1;
        r.hidden = !hit;
        if (hit) { n += 1; }
      });
      count.textContent = n + " of " + rows.length + " articles shown";
    };
    box.addEventListener("input", show);
    show();
  }
  var key = function (cell) {
    var v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent.trim(); }
    var x = parseFloat(v);
    return v !== "" && !isNaN(x) && isFinite(v) ? x : v.toLowerCase();
  };
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (t) {
    Array.prototype.forEach.call(t.tHead.rows[0].cells, function (th, col) {
      th.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(t.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = t.tBodies[0];
        var list = Array.prototype.slice.call(body.rows);
        list.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          var c = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
          return asc ? c : -c;
        });
        list.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
"""


def esc(value: Any) -> str:
    """Any value as HTML text: None is empty, times are ISO 8601 in UTC, everything else escaped."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return esc(value.strftime("%Y-%m-%d %H:%M UTC"))
    if isinstance(value, date):
        return value.isoformat()
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class Cell:
    """A table cell: its text (escaped on output) or ready HTML, a sort key, and a CSS class."""

    text: Any = None
    markup: str | None = None  # already safe HTML; only ever built here from escaped parts
    sort: Any = None
    cls: str = ""
    style: str = ""  # only ever computed from numbers (a shade), never from database text

    def html(self) -> str:
        attrs = f' class="{esc(self.cls)}"' if self.cls else ""
        attrs += f' style="{esc(self.style)}"' if self.style else ""
        if self.sort is not None:
            attrs += f' data-sort="{esc(self.sort)}"'
        body = self.markup if self.markup is not None else esc(self.text)
        return f"<td{attrs}>{body}</td>"


def num(value: Any, text: str | None = None) -> Cell:
    """A right-aligned number cell that sorts numerically (an unknown value sorts first)."""
    if value is None:
        return Cell(text or "", sort=-1, cls="num")
    return Cell(text if text is not None else value, sort=value, cls="num")


def table(headers: Sequence[str | tuple[str, str]], rows: Sequence[Sequence[Cell]], *, table_id: str = "",
          cls: str = "", data_table: str = "", row_classes: Sequence[str] | None = None) -> str:
    """An HTML table; a header given as (text, class) gets that class (e.g. "num" to right-align it)."""
    head = "".join(f'<th class="{esc(h[1])}">{esc(h[0])}</th>' if isinstance(h, tuple) else f"<th>{esc(h)}</th>"
                   for h in headers)
    body = []
    for i, row in enumerate(rows):
        rc = row_classes[i] if row_classes else ""
        tr = f'<tr class="{esc(rc)}">' if rc else "<tr>"
        body.append(tr + "".join(c.html() for c in row) + "</tr>")
    attrs = (f' id="{esc(table_id)}"' if table_id else "") + (f' class="{esc(cls)}"' if cls else "")
    attrs += f' data-table="{esc(data_table)}"' if data_table else ""
    return (f'<div class="tablewrap"><table{attrs}><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def missing(text: str) -> str:
    """The placeholder drawn instead of a chart that would have empty axes."""
    return f'<p class="missing">{esc(text)}</p>'


def section(anchor: str, title: str, caption: str, body: str) -> str:
    """One report section: a heading, a one-sentence caption (`caption` is HTML, built from escaped parts), the body."""
    return (f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2><p class="caption">{caption}</p>{body}</section>')


def page(title: str, header: str, sections: Sequence[str], footer: str, plotly_js: str) -> str:
    """The whole document: plotly.js inlined once in the head, then the sections, then our own small script."""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        GENERATOR_META,
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{esc(title)}</title>",
        f"<style>{CSS}</style>",
        f'<script type="text/javascript">{plotly_js}</script>',
        "</head>",
        "<body>",
        header,
        "<main>",
        *sections,
        "</main>",
        footer,
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
        "",
    ])
