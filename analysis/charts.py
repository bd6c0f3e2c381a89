"""The report's Plotly figures from the rows of analysis/sql/report_*.sql; only SVG trace types (bar, scatter)."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import plotly.graph_objects as go

Row = dict[str, Any]

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
# Tableau 10: distinct enough for a dozen sides, and readable by most colour-blind readers
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac"]
UNKNOWN_COLOR = "#8c8c8c"
PRECISION_COLORS = {"time": "#59a14f", "day": "#edc948", "none": "#bab0ac"}
OUTCOME_COLORS = {"loaded": "#59a14f", "duplicate": "#4e79a7", "off-topic": "#bab0ac", "not-article": "#d4c9c4",
                  "failed": "#e15759", "refused": "#f28e2b"}
# Plotly's own options for every chart: no logo link, no MathJax, resize with the window
CONFIG = {"displaylogo": False, "responsive": True, "typesetMath": False,
          "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}
TOP_CONCEPTS = 8
DIMENSIONS = ("group", "language", "country")  # the sides a chart can be split by (its buttons or menu)
DAY_MS = 86_400_000
BAR_DAY = 0.8 * DAY_MS  # a day's bar, explicit: Plotly would size a lone day's bar from the axis, as a hairline


def label(value: Any, cap: int = 60) -> str:
    """A database value as Plotly text: cut to `cap` characters, then escaped, because Plotly reads its strings
    as a small HTML dialect (`<b>`, `<a href>`, entities) and our values may come from crawled pages."""
    text = "unknown" if value is None else str(value)
    if len(text) > cap:
        text = text[: cap - 1] + "…"
    return html.escape(text, quote=False)


def colors_for(values: Iterable[str]) -> dict[str, str]:
    """A stable colour per value (sorted), so a group keeps its colour in every chart of the report; 'unknown'
    (an outlet without a group or country in its configuration) is always grey."""
    known = sorted(set(values) - {"unknown"})
    colors = {v: PALETTE[i % (len(PALETTE) - 1)] for i, v in enumerate(known)}
    colors["unknown"] = UNKNOWN_COLOR
    return colors


def minutes_text(minutes: float | None) -> str:
    """A delay for people: '45 min', '4 h 05 min', '2 d 3 h'; an empty string when unknown."""
    if minutes is None:
        return ""
    m = int(round(minutes))
    sign, m = ("-" if m < 0 else ""), abs(m)
    if m < 60:
        return f"{sign}{m} min"
    if m < 24 * 60:
        return f"{sign}{m // 60} h {m % 60:02d} min"
    return f"{sign}{m // 1440} d {(m % 1440) // 60} h"


def _layout(fig: go.Figure, height: int, **extra: Any) -> go.Figure:
    """The look shared by every chart: no template (its JSON would be repeated per chart), system fonts, light grid."""
    axis = {"gridcolor": "#e8e8e8", "linecolor": "#999", "zerolinecolor": "#ccc", "automargin": True,
            "title": {"font": {"size": 12}}}
    fig.update_layout(template="none", height=height, font={"family": FONT, "size": 12, "color": "#222"},
                      margin={"l": 60, "r": 20, "t": 40, "b": 50}, paper_bgcolor="white", plot_bgcolor="white",
                      hoverlabel={"font": {"family": FONT}}, legend={"font": {"size": 11}},
                      xaxis=axis, yaxis=axis)
    fig.update_layout(**extra)
    return fig


def day_range(days: Iterable[date], min_days: int = 7, edge: float = 0.5) -> list[str]:
    """An x range of at least `min_days` days around `days`, plus `edge` days on each side, so one day's bar is not
    as wide as the page and the coverage and copies charts share one time axis."""
    days = sorted(set(days))
    lo, hi = datetime.combine(days[0], time()), datetime.combine(days[-1], time())
    pad = timedelta(days=max(0.0, (min_days - 1 - (hi - lo).days) / 2) + edge)
    # kept inside the calendar: a stored year 1 or 9999 (not from the crawl's dating, which takes nothing before
    # 1995, but a database may hold anything) would overflow
    return [(lo - pad if lo - datetime.min > pad else datetime.min).isoformat(sep=" "),
            (hi + pad if datetime.max - hi > pad else datetime.max.replace(microsecond=0)).isoformat(sep=" ")]


def _day_axis(days: Sequence[date], span: list[str] | None = None) -> dict[str, Any]:
    """A date x axis that ticks each day when the axis spans few days, so three days do not get hourly ticks.

    The span decides, not the number of distinct days: a few days spread over years (one old article) with a tick
    per day asked the browser for hundreds of thousands of ticks, and the report never finished loading."""
    axis: dict[str, Any] = {"type": "date", "title": {"text": "day (UTC)"}, "tickformat": "%b %d\n%Y",
                            "range": span or day_range(days)}
    if _span_days(axis["range"]) <= 15:
        axis["dtick"] = DAY_MS
    return axis


def _span_days(span: list[str]) -> int:
    """The days an axis range covers: fixed ticks (one a day, one a week) only where they stay few."""
    lo, hi = (datetime.fromisoformat(x) for x in span)
    return (hi - lo).days


def _count_axis(title: str, top: float) -> dict[str, Any]:
    """A count axis from zero with whole-number ticks when the counts are small (no 0.5 article)."""
    axis: dict[str, Any] = {"title": {"text": title}, "rangemode": "tozero"}
    if top <= 5:
        axis.update(dtick=1, range=[0, max(1, top) * 1.08])
    return axis


def _stack_top(values: Iterable[tuple[Any, int]]) -> int:
    """The highest stack: the largest sum of the values sharing an x."""
    total: dict[Any, int] = defaultdict(int)
    for x, v in values:
        total[x] += v
    return max(total.values(), default=0)


def _buttons(labels: Sequence[str], visible: Sequence[Sequence[bool]], legend_titles: Sequence[str],
             kind: str = "buttons") -> list[dict[str, Any]]:
    """An updatemenu that shows one set of traces at a time (and names it in the legend's title)."""
    buttons = [{"label": lab, "method": "update", "args": [{"visible": list(vis)}, {"legend.title.text": title}]}
               for lab, vis, title in zip(labels, visible, legend_titles)]
    menu = {"type": kind, "buttons": buttons, "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom",
            "showactive": True, "active": 0, "bgcolor": "#f4f4f4", "bordercolor": "#bbb", "font": {"size": 11}}
    if kind == "buttons":
        menu["direction"] = "right"
    return [menu]


def coverage(rows: list[Row], group_colors: dict[str, str] | None = None) -> go.Figure | None:
    """Original articles per day, stacked by group; buttons switch the stack to language or country."""
    dims = DIMENSIONS
    series: dict[str, dict[str, dict[date, int]]] = {d: defaultdict(dict) for d in dims}
    for r in rows:
        if r["originals"]:
            series[r["dimension"]][r["value"]][r["day"]] = int(r["originals"])
    if not series["group"]:
        return None
    fig = go.Figure()
    owner: list[str] = []
    for dim in dims:
        colors = group_colors if dim == "group" and group_colors else colors_for(series[dim])
        for value in sorted(series[dim]):
            days = sorted(series[dim][value])
            name = label(value)
            fig.add_trace(go.Bar(x=[d.isoformat() for d in days], y=[series[dim][value][d] for d in days],
                                 name=name, visible=dim == "group", marker_color=colors[value], width=BAR_DAY,
                                 hovertemplate=f"%{{x|%Y-%m-%d}}: %{{y}} originals<extra>{name}</extra>"))
            owner.append(dim)
    all_days = [d for per in series["group"].values() for d in per]
    top = _stack_top((d, n) for per in series["group"].values() for d, n in per.items())
    visible = [[o == dim for o in owner] for dim in dims]
    return _layout(fig, 380, barmode="stack", xaxis=_day_axis(all_days, day_range(coverage_days(rows))),
                   yaxis=_count_axis("original articles", top),
                   legend={"title": {"text": "group"}}, margin={"t": 50},
                   updatemenus=_buttons([f"by {d}" for d in dims], visible, list(dims)))


def coverage_days(rows: list[Row]) -> list[date]:
    """Every day with an article (original or copy): the shared time axis of the coverage and copies charts."""
    return [r["day"] for r in rows if r["dimension"] == "group"]


def copies(rows: list[Row], group_colors: dict[str, str] | None = None) -> go.Figure | None:
    """Syndicated copies per day, stacked by the group of the outlet that published the copy."""
    per: dict[str, dict[date, int]] = defaultdict(dict)
    for r in rows:
        if r["dimension"] == "group" and r["copies"]:
            per[r["value"]][r["day"]] = int(r["copies"])
    if not per:
        return None
    colors = group_colors or colors_for(per)
    fig = go.Figure()
    for group in sorted(per):
        days = sorted(per[group])
        name = label(group)
        fig.add_trace(go.Bar(x=[d.isoformat() for d in days], y=[per[group][d] for d in days], name=name,
                             marker_color=colors[group], marker_pattern_shape="/", width=BAR_DAY,
                             hovertemplate=f"%{{x|%Y-%m-%d}}: %{{y}} copies<extra>{name}</extra>"))
    all_days = [d for p in per.values() for d in p]
    top = _stack_top((d, n) for p in per.values() for d, n in p.items())
    return _layout(fig, 260, barmode="stack", xaxis=_day_axis(all_days, day_range(coverage_days(rows))),
                   yaxis=_count_axis("copies", top),
                   legend={"title": {"text": "copier's group"}})


def outlets(rows: list[Row]) -> go.Figure | None:
    """Articles per outlet, split into originals, copies of another outlet's article, and copies of its own."""
    if not rows:
        return None
    names = [label(r["source"]) for r in rows]
    own = [int(r["copies"]) - int(r["copies_of_others"]) for r in rows]
    detail = [[f"{float(r['copy_share']) * 100:.0f}%", minutes_text(r["median_copy_delay_minutes"]) or "n/a"]
              for r in rows]
    hover = "%{y}: %{x} %{meta}<br>copy share %{customdata[0]}, median copy delay %{customdata[1]}<extra></extra>"
    fig = go.Figure()
    parts = [("originals", [int(r["originals"]) for r in rows], "#4e79a7"),
             ("copies of other outlets", [int(r["copies_of_others"]) for r in rows], "#f28e2b"),
             ("copies of its own articles", own, "#bab0ac")]
    for name, values, color in parts:
        if name != "originals" and not any(values):
            continue
        fig.add_trace(go.Bar(y=names, x=values, name=name, orientation="h", marker_color=color, meta=name,
                             customdata=detail, hovertemplate=hover))
    return _layout(fig, max(180, 90 + 30 * len(rows)), barmode="stack", bargap=0.3,
                   xaxis=_count_axis("articles", max(int(r["articles"]) for r in rows)),
                   yaxis={"autorange": "reversed", "type": "category"},
                   legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
                   margin={"t": 30})


def syndication(rows: list[Row]) -> go.Figure | None:
    """Who copies whom: a matrix of square markers, original outlet (rows) by copying outlet (columns)."""
    if not rows:
        return None
    top = max(int(r["copies"]) for r in rows)
    originals = sorted({r["original_source"] for r in rows})
    copiers = sorted({r["copying_source"] for r in rows})
    fig = go.Figure(go.Scatter(
        x=[label(r["copying_source"]) for r in rows], y=[label(r["original_source"]) for r in rows],
        mode="markers+text", text=[str(r["copies"]) for r in rows],
        textfont={"color": ["white" if int(r["copies"]) * 2 > top else "#222" for r in rows], "size": 12},
        marker={"symbol": "square", "size": [18 + 30 * (int(r["copies"]) / top) ** 0.5 for r in rows],
                "color": [int(r["copies"]) for r in rows], "colorscale": "Blues", "cmin": 0, "cmax": top,
                "line": {"color": "#4e79a7", "width": 1}},
        customdata=[minutes_text(r["median_delay_minutes"]) or "n/a" for r in rows],
        hovertemplate="%{y} → %{x}: %{text} copies, median delay %{customdata}<extra></extra>", showlegend=False))
    return _layout(fig, max(240, 120 + 56 * len(originals)),
                   xaxis={"title": {"text": "copying outlet"}, "type": "category",
                          "categoryorder": "array", "categoryarray": [label(c) for c in copiers],
                          "range": [-0.6, len(copiers) - 0.4]},
                   yaxis={"title": {"text": "original outlet"}, "type": "category",
                          "categoryorder": "array", "categoryarray": [label(o) for o in originals],
                          "range": [-0.6, len(originals) - 0.4]},
                   margin={"t": 20})


def top_concepts(rows: list[Row], n: int = TOP_CONCEPTS) -> list[str]:
    """The concepts the most articles used over the period, most used first."""
    total: dict[str, int] = defaultdict(int)
    for r in rows:
        total[r["term"]] += int(r["mentions"])
    return [t for t, c in sorted(total.items(), key=lambda kv: (-kv[1], kv[0])) if c > 0][:n]


def framing(rows: list[Row], unit: str, group_colors: dict[str, str] | None = None) -> go.Figure | None:
    """Share of each side's articles per day or week that use a concept: a line per side; the menu picks the
    concept and whether a side is a group, a language or a country."""
    concepts = top_concepts([r for r in rows if r["dimension"] == "group"])
    if not concepts:
        return None
    by: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in rows:
        by[(r["term"], r["dimension"], r["value"])].append(r)
    fig = go.Figure()
    owner: list[tuple[str, str]] = []
    buckets: list[date] = []
    for dim in DIMENSIONS:
        values = sorted({v for _, d, v in by if d == dim})
        colors = group_colors if dim == "group" and group_colors else colors_for(values)
        for concept in concepts:
            for value in values:
                pts = sorted(by.get((concept, dim, value), []), key=lambda r: r["bucket"])
                if not pts:
                    continue
                buckets += [r["bucket"] for r in pts]
                name = label(value)
                fig.add_trace(go.Scatter(
                    x=[r["bucket"].isoformat() for r in pts], y=[float(r["share"]) for r in pts],
                    mode="lines+markers", name=name, visible=(concept, dim) == (concepts[0], "group"),
                    line={"color": colors[value], "width": 2}, marker={"size": 7},
                    customdata=[[int(r["mentions"]), int(r["articles"])] for r in pts],
                    hovertemplate=(f"%{{x|%Y-%m-%d}}: %{{y:.0%}} of {name}'s articles "
                                   f"(%{{customdata[0]}} of %{{customdata[1]}})<extra>{label(concept)}</extra>")))
                owner.append((concept, dim))
    choices = [(c, d) for d in DIMENSIONS for c in concepts]
    visible = [[o == choice for o in owner] for choice in choices]
    xaxis = _day_axis(buckets, day_range(buckets, edge=0.5 if unit == "day" else 2.0))
    xaxis["title"] = {"text": "day (UTC)" if unit == "day" else "week (UTC, from Monday)"}
    if unit == "week" and _span_days(xaxis["range"]) <= 15 * 7:  # ticks on the Mondays the buckets start on
        xaxis.update(dtick=7 * DAY_MS, tick0=min(buckets).isoformat())
    return _layout(fig, 360, xaxis=xaxis,
                   yaxis={"title": {"text": "share of the side's articles"}, "tickformat": ".0%",
                          "range": [-0.03, 1.05]},
                   legend={"title": {"text": "group"}}, margin={"t": 50},
                   updatemenus=_buttons([f"“{label(c)}” by {d}" for c, d in choices], visible,
                                        [d for _, d in choices], kind="dropdown"))


def hours(rows: list[Row], group_colors: dict[str, str] | None = None) -> go.Figure | None:
    """Articles per UTC hour of publication, grouped bars per side (articles dated to the minute only); buttons
    switch the sides from groups to languages or countries."""
    per: dict[str, dict[str, list[int]]] = {d: defaultdict(lambda: [0] * 24) for d in DIMENSIONS}
    for r in rows:
        per[r["dimension"]][r["value"]][int(r["hour"])] += int(r["articles"])
    if not per["group"]:
        return None
    fig = go.Figure()
    owner: list[str] = []
    for dim in DIMENSIONS:
        colors = group_colors if dim == "group" and group_colors else colors_for(per[dim])
        for value in sorted(per[dim]):
            name = label(value)
            fig.add_trace(go.Bar(x=list(range(24)), y=per[dim][value], name=name, marker_color=colors[value],
                                 visible=dim == "group",
                                 hovertemplate=f"%{{x}}:00–%{{x}}:59 UTC: %{{y}} articles<extra>{name}</extra>"))
            owner.append(dim)
    top = max(max(v) for series in per.values() for v in series.values())
    return _layout(fig, 320, barmode="group", bargap=0.15,
                   xaxis={"title": {"text": "hour of publication (UTC)"}, "tickmode": "linear", "dtick": 1,
                          "range": [-0.5, 23.5]},
                   yaxis=_count_axis("articles", top),
                   legend={"title": {"text": "group"}}, margin={"t": 50},
                   updatemenus=_buttons([f"by {d}" for d in DIMENSIONS], [[o == d for o in owner]
                                                                          for d in DIMENSIONS], list(DIMENSIONS)))


def precision(rows: list[Row]) -> go.Figure | None:
    """Per group, the shares of articles dated to the minute, to the day, or not at all (100 % stacked bars)."""
    if not rows:
        return None
    groups = sorted({r["group"] for r in rows})
    counts = {(r["group"], r["precision"]): int(r["articles"]) for r in rows}
    fig = go.Figure()
    for prec in ("time", "day", "none"):
        values = [counts.get((g, prec), 0) for g in groups]
        if any(values):
            fig.add_trace(go.Bar(y=[label(g) for g in groups], x=values, name=prec, orientation="h",
                                 marker_color=PRECISION_COLORS[prec],
                                 hovertemplate=f"%{{y}}: %{{x}} articles dated to {prec}<extra></extra>"))
    return _layout(fig, max(200, 90 + 32 * len(groups)), barmode="stack", barnorm="percent",
                   xaxis={"title": {"text": "share of articles"}, "ticksuffix": "%", "range": [0, 100]},
                   yaxis={"autorange": "reversed", "type": "category"},
                   legend={"title": {"text": "precision"}, "orientation": "h", "x": 0, "y": 1.02,
                           "yanchor": "bottom", "traceorder": "normal"}, margin={"t": 30}, bargap=0.3)


def confidence(rows: list[Row]) -> go.Figure | None:
    """Articles per tenth of date confidence, stacked by date precision."""
    if not rows:
        return None
    bins = [f"{t / 10:.1f}–{(t + 1) / 10:.1f}" for t in range(10)]
    counts = {(int(r["tenth"]), r["precision"]): int(r["articles"]) for r in rows}
    fig = go.Figure()
    for prec in ("time", "day", "none"):
        values = [counts.get((t, prec), 0) for t in range(10)]
        if any(values):
            fig.add_trace(go.Bar(x=bins, y=values, name=prec, marker_color=PRECISION_COLORS[prec],
                                 hovertemplate=f"confidence %{{x}}: %{{y}} articles ({prec})<extra></extra>"))
    return _layout(fig, 260, barmode="stack",
                   xaxis={"title": {"text": "date confidence"}, "type": "category"},
                   yaxis=_count_axis("articles", _stack_top((t, n) for (t, _), n in counts.items())),
                   legend={"title": {"text": "precision"}})


def pages(rows: list[Row]) -> go.Figure | None:
    """Every fetched or refused page by its latest outcome."""
    if not rows:
        return None
    order = [o for o in OUTCOME_COLORS if any(r["outcome"] == o for r in rows)]
    order += sorted({r["outcome"] for r in rows} - set(order))
    n = {r["outcome"]: int(r["pages"]) for r in rows}
    fig = go.Figure(go.Bar(x=[label(o) for o in order], y=[n[o] for o in order], text=[n[o] for o in order],
                           textposition="outside", cliponaxis=False,
                           marker_color=[OUTCOME_COLORS.get(o, "#9c755f") for o in order],
                           hovertemplate="%{x}: %{y} pages<extra></extra>", showlegend=False))
    return _layout(fig, 260, xaxis={"title": {"text": "outcome"}, "type": "category"}, bargap=0.4,
                   yaxis={"title": {"text": "pages"}, "rangemode": "tozero"}, margin={"t": 30})


def failures(rows: list[Row]) -> go.Figure | None:
    """Failed pages per reason (the most frequent first), stacked by source."""
    if not rows:
        return None
    total: dict[str, int] = defaultdict(int)
    for r in rows:
        total[r["reason"]] += int(r["pages"])
    reasons = sorted(total, key=lambda k: (-total[k], k))
    counts = {(r["reason"], r["source"]): int(r["pages"]) for r in rows}
    sources = sorted({r["source"] for r in rows})
    colors = colors_for(sources)
    fig = go.Figure()
    for source in sources:
        name = label(source)
        fig.add_trace(go.Bar(y=[label(r, 50) for r in reasons], x=[counts.get((r, source), 0) for r in reasons],
                             name=name, orientation="h", marker_color=colors[source],
                             customdata=[label(r, 300) for r in reasons],
                             hovertemplate=f"%{{customdata}}: %{{x}} pages<extra>{name}</extra>"))
    height = max(150, 90 + 30 * len(reasons), 70 + 19 * len(sources))  # room for the legend without a scrollbar
    return _layout(fig, height, barmode="stack", bargap=0.35,
                   xaxis=_count_axis("failed pages", max(total.values())),
                   yaxis={"autorange": "reversed", "type": "category"},
                   legend={"title": {"text": "source"}})


def to_div(name: str, fig: go.Figure) -> str:
    """One figure as a `<div class="chart" data-chart=name>`, its data inline and no plotly.js of its own."""
    div = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False, config=CONFIG,
                      div_id=f"chart-{name}", default_height=f"{fig.layout.height}px", default_width="100%")
    return f'<div class="chart" data-chart="{html.escape(name)}">{div}</div>'
