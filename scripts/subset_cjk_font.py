"""Make the Chinese font shipped in the package: a subset of Noto Sans CJK SC (SIL OFL 1.1).

Keeps every character of GB 2312 (the 6,763 hanzi of everyday simplified Chinese and its
symbols), ASCII and Latin-1, general and CJK punctuation, full-width forms, and every character
used anywhere in the package, the docs and the notebooks. Run it again when new text uses a
character outside GB 2312 (tests/test_fonts.py says which one):

    .venv/bin/python scripts/subset_cjk_font.py PATH/TO/NotoSansCJKsc-Regular.otf

The full font comes, for example, with the ``mplfonts`` wheel (``mplfonts/fonts/``) or Debian's
``fonts-noto-cjk``. Needs fontTools (a dependency of matplotlib).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "reformabm" / "public" / "fonts" / "NotoSansCJKsc-Regular-subset.otf"


def gb2312() -> set[str]:
    """Every character GB 2312 encodes."""
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def used() -> set[str]:
    """Every character in the package, docs and notebooks."""
    chars: set[str] = set()
    for base in ("reformabm", "docs", "notebooks", "README.md"):
        p = ROOT / base
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.suffix in {".py", ".toml", ".md", ".ipynb"}]
        for f in files:
            chars.update(f.read_text(encoding="utf-8", errors="ignore"))
    return chars


def ranges() -> set[str]:
    """Latin, punctuation, CJK symbols, full-width forms and circled numbers."""
    spans = [(0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF), (0x2460, 0x24FF)]
    return {chr(c) for a, b in spans for c in range(a, b + 1)}


def main(src: str) -> None:
    """Write the subset of the font file ``src``."""
    text = "".join(sorted(gb2312() | used() | ranges()))
    opts = subset.Options()
    opts.name_IDs = ["*"]  # keep the name table (family name, copyright, licence)
    opts.name_languages = ["*"]
    opts.hinting = False
    opts.layout_features = ["kern", "liga", "vert", "vrt2"]  # no regional (locl) variants
    font = subset.load_font(src, opts)
    sub = subset.Subsetter(opts)
    sub.populate(text=text)
    sub.subset(font)
    OUT.parent.mkdir(exist_ok=True)
    subset.save_font(font, str(OUT), opts)
    print(f"{OUT.relative_to(ROOT)}: {len(font.getGlyphOrder())} glyphs, {OUT.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main(sys.argv[1])
