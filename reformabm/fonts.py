"""Fonts for Chinese labels (中文标签): the one place that finds a CJK font for figures and the browser.

The package ships a subset of Noto Sans CJK SC (SIL OFL 1.1, ``reformabm/public/fonts/``: every
character of GB 2312 and every one reformabm uses), so Chinese labels render on a machine with
no CJK font installed (CI, Docker, most JupyterHubs); the browser view serves the same file.
A full CJK font installed on the system
is preferred when there is one; the shipped one is the fallback.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

__all__ = ["CJKFontWarning", "CJK_FAMILIES", "SHIPPED_FAMILY", "find_cjk_font", "missing_glyphs",
           "register_shipped_font", "resolve_language", "shipped_font_path"]

#: Family name of the font shipped in the package.
SHIPPED_FAMILY = "Noto Sans CJK SC"
_SHIPPED_FILE = "NotoSansCJKsc-Regular-subset.otf"


class CJKFontWarning(UserWarning):
    """Chinese labels were asked for but no CJK font could be used: English is used instead."""


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


def shipped_font_path() -> Path:
    """Path of the Chinese font file shipped in the package (Noto Sans CJK SC, a subset)."""
    from reformabm.resources import shipped

    return shipped("public", "fonts", _SHIPPED_FILE)


@lru_cache(maxsize=1)
def register_shipped_font() -> str | None:
    """Register the shipped font with matplotlib; return its family name (None if it is missing)."""
    from matplotlib import font_manager

    path = shipped_font_path()
    if not path.is_file():
        return None
    font_manager.fontManager.addfont(str(path))
    return SHIPPED_FAMILY


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """Find a font with Chinese glyphs that matplotlib can use (its family name, or None).

    Looks first for well-known families in matplotlib's font list
    (:data:`matplotlib.font_manager.fontManager`), then for any family whose name says it is
    CJK, then asks fontconfig (``fc-list :lang=zh``) and registers the font file it names
    with matplotlib, and last registers the font shipped in the package. The answer is
    cached for the process.

    Returns
    -------
    str or None
        A family name to use in ``fontfamily=``; None only if the shipped font was removed.
    """
    return _system_cjk_font() or register_shipped_font()


def missing_glyphs(text: str, family: str | None = None) -> str:
    """Return the characters of ``text`` that the font of ``family`` has no glyph for.

    ``family`` defaults to :func:`find_cjk_font`. Spaces and control characters are ignored.

    >>> missing_glyphs("联动中心 linkage centre")
    ''
    """
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    family = family or find_cjk_font()
    if family is None:
        return "".join(dict.fromkeys(ch for ch in text if not ch.isspace()))
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    cmap = FT2Font(path).get_charmap()
    return "".join(dict.fromkeys(ch for ch in text if ch.isprintable() and not ch.isspace()
                                 and ord(ch) not in cmap))


def _system_cjk_font() -> str | None:
    """A CJK font installed on the system (matplotlib's list or fontconfig), or None."""
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
