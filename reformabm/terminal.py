"""Terminal output: tables laid out by display width, so bilingual rows line up (终端输出).

A Chinese character takes two terminal columns; :func:`display_width` counts them (East Asian
Wide and Fullwidth characters, ``unicodedata.east_asian_width``) and :func:`table` pads by it.
The run summary (:func:`summary_lines`) prints one language's labels, the unit of each value,
counts as integers, the percentiles in order (p50, p90, p99, then the mean) and the reforms
applied with their day.
"""

from __future__ import annotations

import math
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from reformabm.i18n import label, msg

__all__ = ["display_width", "pad", "table", "SUMMARY_ROWS", "summary_lines", "reform_lines", "progress",
           "summary_table", "run_reporter"]


def display_width(text: str) -> int:
    """Number of terminal columns ``text`` takes (CJK characters take two).

    >>> display_width("on-time rate"), display_width("按时办结率")
    (12, 10)
    """
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def pad(text: str, width: int, align: str = "<") -> str:
    """Pad ``text`` to ``width`` display columns (``align`` "<" left, ">" right)."""
    fill = " " * max(0, width - display_width(text))
    return text + fill if align == "<" else fill + text


def table(rows: Sequence[Sequence[str]], aligns: str, indent: str = "  ", sep: str = "  ") -> list[str]:
    """Lay out ``rows`` of strings in columns by display width (``aligns``: one "<" or ">" per column)."""
    widths = [max((display_width(r[i]) for r in rows), default=0) for i in range(len(aligns))]
    return [(indent + sep.join(pad(c, w, a) for c, w, a in zip(r, widths, aligns, strict=True))).rstrip()
            for r in rows]


#: Units (English, 中文) of the value kinds of the summary.
UNITS: dict[str, tuple[str, str]] = {
    "count": ("", ""),
    "share": ("%", "%"),
    "days": ("days", "天"),
    "index": ("", ""),
    "staff": ("", ""),  # the label says staff-days/day
}

#: The rows of ``reformabm run``'s summary: metric key and value kind.
SUMMARY_ROWS: list[tuple[str, str]] = [
    ("issues_created", "count"),
    ("issues_closed", "count"),
    ("issues_open", "count"),
    ("issues_withdrawn", "count"),
    ("closure_rate", "share"),
    ("on_time_rate", "share"),
    ("on_time_rate_closed_only", "share"),
    ("days_to_close_p50", "days"),
    ("days_to_close_p90", "days"),
    ("days_to_close_p99", "days"),
    ("days_to_close_mean", "days"),
    ("coordination_dependence", "share"),
    ("pushback_rate", "share"),
    ("misdispatch_rate", "share"),
    ("formal_closure_share", "share"),
    ("utilisation_department", "share"),
    ("utilisation_township", "share"),
    ("utilisation_centre", "share"),
    ("satisfaction", "share"),
    ("involution_index", "index"),
    ("staff_total", "staff"),
    ("n_layers", "count"),
    ("span_of_control_max", "count"),
    ("centre_betweenness", "index"),
]


def _value(v: Any, kind: str) -> str:
    if v is None:
        return "n/a"
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "n/a"
    if kind == "count":
        return f"{round(x):,}"
    if kind == "share":
        return f"{100 * x:.1f}"
    if kind == "days":
        return f"{x:.1f}"
    if kind == "staff":
        return f"{x:,.1f}"
    return f"{x:.3f}"


def summary_rows(summary: dict[str, Any], lang: str = "en") -> list[tuple[str, str, str]]:
    """``(label, value, unit)`` of each summary row present in ``summary``, in ``lang``."""
    i = 1 if lang == "zh" else 0
    rows = []
    for key, kind in SUMMARY_ROWS:
        if key not in summary:
            continue
        unit = UNITS[kind][i] if _value(summary[key], kind) != "n/a" else ""
        rows.append((label(key, lang), _value(summary[key], kind), unit))
    return rows


def reform_lines(records: Sequence[dict[str, Any]], lang: str = "en") -> list[str]:
    """One line per reform applied (its day and name); a daily rule's repeated records are folded."""
    from reformabm.reforms import REGISTRY

    if not records:
        return [msg("run.no_reforms", lang)]
    groups: list[list[dict[str, Any]]] = []
    for r in records:
        if groups and groups[-1][-1]["name"] == r["name"]:
            groups[-1].append(r)
        else:
            groups.append([r])
    out = [msg("run.reforms", lang)]
    for g in groups:
        name = g[0]["name"]
        zh = getattr(REGISTRY.get(name), "label_zh", "")
        shown = f"{name} {zh}" if lang == "zh" and zh else name
        if len(g) > 1:
            shown += f" ×{len(g)} (→ {g[-1]['day']})"
        out.append("  " + msg("run.reform_row", lang, day=g[0]["day"], name=shown))
    return out


def summary_lines(summary: dict[str, Any], wall: float, lang: str = "en",
                  reforms: Sequence[dict[str, Any]] = ()) -> list[str]:
    """The lines ``reformabm run`` prints: a heading, the aligned table, the reforms applied."""
    head = msg("run.head", lang, scenario=summary["scenario"], seed=summary["seed"], days=summary["days"],
               population=int(summary["population"]), wall=wall)
    return [head, *table(summary_rows(summary, lang), "<><"), *reform_lines(reforms, lang)]


def progress(total: int, *, show: bool | None = None, unit: str = "run", desc: str | None = None) -> Any:
    """A progress bar on stderr (done / total, failed, rate, ETA), or a do-nothing stand-in.

    ``show`` None: only when stderr is a terminal. The bar has ``update(n)`` and
    ``set_postfix(failed=...)``; close it with ``close()`` or use it as a context manager.
    """
    import sys

    from tqdm import tqdm

    if show is None:
        show = sys.stderr.isatty()
    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
                disable=not show)


def summary_table(summaries: dict[str, dict[str, Any]], keys: Sequence[str], lang: str = "zh") -> Any:
    """Summary metrics of several runs side by side, formatted like ``reformabm run`` (a DataFrame).

    Counts are integers, shares in %, days with one decimal; a ``unit`` column says which.
    The first column is the label in ``lang`` (Chinese by default, beside the English keys).
    """
    import pandas as pd

    kinds = dict(SUMMARY_ROWS)
    i = 1 if lang == "zh" else 0

    def kind_of(k: str) -> str:
        if k in kinds:
            return kinds[k]
        vals = [s.get(k) for s in summaries.values()]
        return "count" if all(isinstance(v, int) and not isinstance(v, bool) for v in vals) else "index"

    data = {("中文" if lang == "zh" else "label"): [label(k, lang) for k in keys]}
    for name, s in summaries.items():
        data[name] = [_value(s.get(k), kind_of(k)) for k in keys]
    data["unit"] = [UNITS[kind_of(k)][i] for k in keys]
    return pd.DataFrame(data, index=list(keys))


@contextmanager
def run_reporter(desc: str, *, quiet: bool = False, verbose: bool = False) -> Iterator[Callable[[str], None]]:
    """The ``progress`` callback of ``validate`` and ``ablate``: a bar sized by their plan line.

    The plan line ("... N distinct run(s)") sets the total; each indented line is one run done.
    ``verbose`` prints every line on stderr instead of the bar; ``quiet`` shows nothing.
    """
    with progress(0, show=False if (quiet or verbose) else None, desc=desc) as bar:
        def say(text: str) -> None:
            planned = re.search(r"(\d+) distinct run", text)
            if planned:
                bar.reset(total=int(planned.group(1)))
            elif text.startswith("  "):
                bar.update()
            if verbose:
                print(text, file=sys.stderr, flush=True)

        yield say
