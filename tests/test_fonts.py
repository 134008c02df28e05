"""Chinese renders without a system CJK font: the shipped Noto Sans CJK SC subset covers every label."""

from __future__ import annotations

import warnings

import matplotlib
import pytest

from reformabm import fonts, i18n
from reformabm.org.graph import KIND_LABELS
from reformabm.reforms import REGISTRY
from reformabm.scenario import MODELS_DIR


@pytest.fixture
def no_system_cjk(monkeypatch):
    """This machine has no system CJK font (fc-list :lang=zh is empty); make any machine look so."""
    monkeypatch.setattr(fonts, "_system_cjk_font", lambda: None)
    fonts.find_cjk_font.cache_clear()
    yield
    fonts.find_cjk_font.cache_clear()


def all_chinese_text() -> str:
    parts = [zh for _, zh in i18n.LABELS.values()] + [zh for _, zh in KIND_LABELS.values()]
    parts += [zh for _, zh in i18n.MESSAGES.values()] + [zh for _, zh in i18n.RANK_LABELS.values()]
    parts += [getattr(cls, "label_zh", "") for cls in REGISTRY.values()]
    parts += [p.read_text(encoding="utf-8") for p in MODELS_DIR.glob("*.toml")]  # unit and case names
    return "".join(parts)


def test_shipped_font_is_used_and_covers_every_chinese_label(no_system_cjk):
    assert fonts.shipped_font_path().is_file()
    assert fonts.find_cjk_font() == fonts.SHIPPED_FAMILY
    missing = fonts.missing_glyphs(all_chinese_text())
    assert missing == "", f"add these characters to the font (scripts/subset_cjk_font.py): {missing!r}"


def test_missing_glyphs_finds_what_the_subset_lacks(no_system_cjk):
    assert fonts.missing_glyphs("𠀀联动") == "𠀀"  # an Extension-B ideograph is not in GB 2312
    assert fonts.missing_glyphs("联动", family="DejaVu Sans") == "联动"


def test_chinese_figure_draws_every_glyph_without_a_system_font(no_system_cjk):
    from reformabm import ReformModel, plots

    m = ReformModel("teaching", rng=1, days=20, reforms=["empower_centre@10"])
    m.run()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" and CJKFontWarning fail the test
        fig = plots.timeseries(m, ["on_time_rate", "open"], lang="zh")
        fig.canvas.draw()
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
    zh = [t for t in texts if any("\u4e00" <= ch <= "\u9fff" for ch in t.get_text())]
    assert zh, "no Chinese label drawn"
    for t in zh:
        path = matplotlib.font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
        assert path == str(fonts.shipped_font_path()), (t.get_text(), path)
