"""Files shipped inside the package (scenarios, sweeps, patterns, targets, fonts), read with importlib.resources.

Every lookup of shipped data goes through :func:`shipped`, so the package works the same from
a clone, an editable install, a wheel installed anywhere, or a zipped import.

>>> shipped("models", "teaching.toml").name
'teaching.toml'
"""

from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from pathlib import Path

__all__ = ["shipped"]

_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def shipped(*parts: str) -> Path:
    """Return a filesystem path to a file or folder shipped in the ``reformabm`` package.

    Parameters
    ----------
    *parts : str
        Path components below the package, e.g. ``("models", "teaching.toml")``.

    Returns
    -------
    pathlib.Path
        The path (the file itself for a normal install; a temporary copy, kept for the
        process, when the package is imported from a zip archive).
    """
    res = resources.files("reformabm").joinpath(*parts)
    if isinstance(res, Path):
        return res
    return _extracted.enter_context(resources.as_file(res))
