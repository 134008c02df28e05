"""Fonts for Chinese labels (中文标签): find a CJK font matplotlib can use, or say how to get one."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache

__all__ = ["CJKFontWarning", "CJK_FAMILIES", "find_cjk_font", "resolve_language"]


class CJKFontWarning(UserWarning):
    """Chinese labels were asked for but no CJK font is installed: English is used instead."""


#: Font families tried first, in order, for Chinese labels.
CJK_FAMILIES = [
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "SimSun",
    "PingFang SC",
    "Heiti SC",
    "STHeiti",
    "Hiragino Sans GB",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Droid Sans Fallback",
    "Arial Unicode MS",
]
_CJK_PATTERN = re.compile(
    r"CJK|Han Sans|Han Serif|WenQuanYi|YaHei|SimHei|SimSun|PingFang|Heiti|"
    r"Hiragino Sans GB|UMing|UKai|Droid Sans Fallback|Fang ?Song|Kai ?Ti"
)


def _fc_list_zh() -> list[tuple[str, str]]:
    """``(file, family)`` of the fonts fontconfig says cover Chinese (empty without fc-list)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, ":lang=zh", "file", "family"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines():
        path, _, fams = line.partition(":")
        if path.strip() and fams.strip():
            found.append((path.strip(), fams.strip().split(",")[0].strip()))
    return found


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """Find a font with Chinese glyphs that matplotlib can use (its family name, or None).

    Looks first for well-known families in matplotlib's font list
    (:data:`matplotlib.font_manager.fontManager`), then for any family whose name says it is
    CJK, and last asks fontconfig (``fc-list :lang=zh``) and registers the font file it names
    with matplotlib. The answer is cached for the process.

    Returns
    -------
    str or None
        A family name to use in ``fontfamily=``, or None if no CJK font is installed.
    """
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for fam in CJK_FAMILIES:
        if fam in names:
            return fam
    for name in sorted(names):
        if _CJK_PATTERN.search(name):
            return name
    for path, family in _fc_list_zh():
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
        names = {f.name for f in font_manager.fontManager.ttflist}
        if family in names:
            return family
        for name in names:  # the family matplotlib read from the file may be spelt differently
            if _CJK_PATTERN.search(name):
                return name
    return None




def resolve_language(lang: str) -> tuple[str, list[str] | None]:
    """Return the language actually used for ``lang`` and the font families to draw it with.

    The one language resolver of the CLI, the plots, the viz and the notebooks.

    Parameters
    ----------
    lang : {"en", "zh", "both"}
        Requested label language (英文 / 中文 / both, e.g. ``on-time rate 按时办结率``).

    Returns
    -------
    (str, list of str or None)
        ``("zh", [cjk_font, "DejaVu Sans"])`` (or ``"both"``) when a CJK font exists, else
        ``("en", None)``. Asking for Chinese without a CJK font warns with
        :class:`CJKFontWarning`.

    Raises
    ------
    ValueError
        If ``lang`` is not "en", "zh" or "both".
    """
    import warnings

    if lang not in ("en", "zh", "both"):
        raise ValueError(f"lang = {lang!r}: expected 'en' (English), 'zh' (中文) or 'both'")
    if lang == "en":
        return "en", None
    font = find_cjk_font()
    if font is None:
        warnings.warn(
            f"lang={lang!r}: no CJK font found by matplotlib or fontconfig (fc-list :lang=zh); "
            "English labels are used. Install one (e.g. `apt install fonts-noto-cjk`, "
            "or put a .ttf/.otf in ~/.fonts) and restart Python.",
            CJKFontWarning,
            stacklevel=3,
        )
        return "en", None
    return lang, [font, "DejaVu Sans"]
