"""The common set-up of the notebooks: display options, figure style and Chinese labels."""

from __future__ import annotations

from collections.abc import Callable

from reformabm.fonts import find_cjk_font


def setup_notebook(lang: str = "en") -> Callable[[str, str], str]:
    """Set pandas' display options and the seaborn style; with ``lang="zh"`` draw in the CJK font.

    Returns ``T(en, zh)``, the label for a notebook's own figures: ``zh`` when ``lang`` is
    ``"zh"`` and a CJK font (the shipped one at least) is available, else ``en``.
    """
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    pd.set_option("display.precision", 3)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.9)
    font = find_cjk_font() if lang == "zh" else None
    if font:  # Chinese labels in the notebook's own figures too
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]

    def T(en: str, zh: str) -> str:  # noqa: N802 (short name used in every notebook)
        return zh if font else en

    return T
