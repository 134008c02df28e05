"""Languages of the user-facing text (English / 中文): one resolver and one label table.

:func:`resolve_lang` decides the language of every command, figure and view: an explicit
``--lang en|zh`` (or ``lang=`` argument), else the ``REFORMABM_LANG`` environment variable,
else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``: ``zh_CN.UTF-8`` means
Chinese). :data:`LABELS` (from :mod:`reformabm.labels`, the one label table) holds the English and
Chinese label of every metric, lever, index and event key; :data:`MESSAGES` holds the command line's own sentences.
"""

from __future__ import annotations

import os
from typing import Any

from reformabm.errors import ReformabmError
from reformabm.labels import LABELS, RANK_LABELS, label  # the one label table, re-exported for the CLI

__all__ = ["LanguageError", "LANGS", "LABELS", "RANK_LABELS", "MESSAGES", "resolve_lang", "label", "msg"]

class LanguageError(ReformabmError, ValueError):
    """A language other than English (en) or Chinese (zh) was asked for."""


#: The supported languages.
LANGS = ("en", "zh")


def resolve_lang(lang: str | None = None) -> str:
    """Return ``"en"`` or ``"zh"``: ``lang`` if given, else from the environment and locale.

    Raises
    ------
    LanguageError
        If ``lang`` (or ``REFORMABM_LANG``) is neither "en" nor "zh".

    Examples
    --------
    >>> resolve_lang("zh"), resolve_lang("EN")
    ('zh', 'en')
    """
    source = "lang"
    if lang is None:
        lang, source = os.environ.get("REFORMABM_LANG") or None, "REFORMABM_LANG"
    if lang is None:
        for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
            val = os.environ.get(var)
            if val:
                return "zh" if val.lower().startswith("zh") else "en"
        return "en"
    norm = str(lang).strip().lower().replace("-", "_")
    if norm in ("zh", "zh_cn", "zh_hans", "cn", "中文"):
        return "zh"
    if norm in ("en", "en_us", "en_gb", "english"):
        return "en"
    raise LanguageError(f"{source} = {lang!r}: expected 'en' (English) or 'zh' (中文)")



#: The command line's own sentences, English and Chinese (``str.format`` fields).
MESSAGES: dict[str, tuple[str, str]] = {
    "run.head": ("reformabm run: scenario {scenario}, seed {seed}, {days} days, population {population:,} "
                 "({wall:.2f} s)",
                 "reformabm run：情景 {scenario}，随机种子 {seed}，{days} 天，人口 {population:,}（{wall:.2f} 秒）"),
    "run.written": ("outputs written to {out}/ ({files})", "结果已写入 {out}/（{files}）"),
    "run.reforms": ("reforms applied:", "已实施的改革："),
    "run.no_reforms": ("reforms applied: none", "已实施的改革：无"),
    "run.reform_row": ("day {day}: {name}", "第 {day} 天：{name}"),
    "col.metric": ("metric", "指标"),
    "col.value": ("value", "数值"),
    "col.unit": ("unit", "单位"),
    "compare.head": ("reformabm compare: {scenario}, reform {reform}, {n} paired seeds, {days} days",
                     "reformabm compare：情景 {scenario}，改革 {reform}，{n} 对随机种子，{days} 天"),
    "compare.written": ("written to {out}/ (effects.csv, effects.parquet, runs.parquet, effects.png)",
                        "已写入 {out}/（effects.csv、effects.parquet、runs.parquet、effects.png）"),
    "validate.tail": ("{passed} of {n} patterns pass; {failed} fail, {without} of them because they hold "
                      "with their mechanism off ({secs:.0f} s)",
                      "{n} 个模式中 {passed} 个通过；{failed} 个未通过，其中 {without} 个因关闭其机制后仍成立"
                      "（{secs:.0f} 秒）"),
    "ablate.tail": ("{ok} of {n} outcomes move in the papers' direction ({secs:.0f} s){failing}",
                    "{n} 项结果中 {ok} 项与论文方向一致（{secs:.0f} 秒）{failing}"),
    "ablate.failing": ("; failing: {names}", "；不一致：{names}"),
    "ablate.written": ("table written to {out}/ablation.csv and ablation.md",
                       "表格已写入 {out}/ablation.csv 与 ablation.md"),
    "validate.written": ("table written to {out}", "表格已写入 {out}"),
    "params.scenario_head": ("parameters of scenario {scenario} ({n} differ from the defaults, marked *)",
                             "情景 {scenario} 的参数（{n} 个与默认值不同，标 *）"),
    "interrupted": ("reformabm: interrupted", "reformabm：已中断"),
    "error": ("reformabm: error: {message}", "reformabm：错误：{message}"),
}


def msg(key: str, lang: str = "en", **fields: Any) -> str:
    """Return the command-line sentence ``key`` in ``lang``, with ``fields`` filled in.

    >>> msg("run.reform_row", "zh", day=180, name="remove_layer")
    '第 180 天：remove_layer'
    """
    en, zh = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**fields)
