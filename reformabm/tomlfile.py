"""Reading the project's TOML files (scenarios, sweeps, patterns) with clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from reformabm.errors import ReformabmError

__all__ = ["read_toml"]


def read_toml(path: str | Path, what: str, error: type[ReformabmError]) -> dict[str, Any]:
    """Read TOML file ``path`` (a ``what`` file: "scenario", "sweep" ...), raising ``error``.

    The message names the file and says whether it could not be read or is not valid TOML.

    >>> read_toml("/no/such.toml", "scenario", ReformabmError)
    Traceback (most recent call last):
    ...
    reformabm.errors.ReformabmError: scenario file '/no/such.toml' cannot be read: ...
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{what} file '{p}' cannot be read: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} file '{p}' is not valid TOML: {exc}") from None
