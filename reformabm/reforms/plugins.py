"""Reforms from outside the package (插件改革): ``module:Class`` paths and the ``reformabm.reforms`` entry points.

A reform class in the user's own module is usable wherever a built-in one is — ``--reform``,
``[[reforms]]`` in a scenario file, reform levers in a sweep file, ``compare``, worker
processes — written as ``module:Class`` (``myreforms:QuietWeek@10``; the module is imported
from the working directory or ``PYTHONPATH``). An installed package can instead declare its
reforms in the entry-point group ``reformabm.reforms``::

    [project.entry-points."reformabm.reforms"]
    quiet_week = "myreforms:QuietWeek"

and they are then known by that name (``quiet_week@10``) and listed by ``reformabm reforms``.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
from functools import lru_cache
from importlib.metadata import entry_points

from reformabm.errors import ReformError

__all__ = ["ENTRY_POINT_GROUP", "is_class_path", "load_class_path", "load_entry_points", "find_reform_class"]

#: Entry-point group of installed packages' reforms.
ENTRY_POINT_GROUP = "reformabm.reforms"


def is_class_path(text: str) -> bool:
    """Whether ``text`` looks like ``module.sub:Class``.

    >>> is_class_path("myreforms:QuietWeek"), is_class_path("remove_layer")
    (True, False)
    """
    mod, sep, cls = text.partition(":")
    return bool(sep) and all(p.isidentifier() for p in mod.split(".")) and cls.isidentifier()


def _check_class(obj: object, where: str) -> type:
    from reformabm.reforms.base import Reform

    if not (isinstance(obj, type) and issubclass(obj, Reform) and dataclasses.is_dataclass(obj)):
        raise ReformError(f"reform '{where}': expected a @dataclass subclass of reformabm.reforms.Reform, "
                          f"got {obj!r}")
    return obj


def load_class_path(path: str) -> type:
    """Import ``module:Class`` (the working directory first on the path) and register the class.

    The class is registered under its ``name`` (set to ``path`` if it has none), so that its
    records and figures name it.
    """
    from reformabm.reforms.base import REGISTRY

    mod_name, _, cls_name = path.partition(":")
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(mod_name)
    except ImportError as exc:
        raise ReformError(f"reform '{path}': cannot import module '{mod_name}' ({exc}); it must be in the "
                          "working directory or on PYTHONPATH") from None
    obj = getattr(module, cls_name, None)
    if obj is None:
        raise ReformError(f"reform '{path}': module '{mod_name}' has no '{cls_name}'")
    cls = _check_class(obj, path)
    if not cls.name:
        cls.name = path
    REGISTRY.setdefault(cls.name, cls)
    REGISTRY[path] = cls
    return cls


@lru_cache(maxsize=1)
def load_entry_points() -> dict[str, type]:
    """Load and register the reforms that installed packages declare in ``reformabm.reforms``."""
    from reformabm.reforms.base import REGISTRY

    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = _check_class(ep.load(), f"{ep.name} = {ep.value}")
        except ReformError:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken plug-in names itself, never a traceback
            raise ReformError(f"reform entry point '{ep.name} = {ep.value}' ({ep.dist.name if ep.dist else '?'}) "
                              f"failed to load: {type(exc).__name__}: {exc}") from None
        if not cls.name:
            cls.name = ep.name
        REGISTRY.setdefault(ep.name, cls)
        found[ep.name] = cls
    return found


def find_reform_class(name: str) -> type | None:
    """The reform class called ``name``: built in, from an entry point, or a ``module:Class`` path."""
    from reformabm.reforms.base import REGISTRY

    if name in REGISTRY:
        return REGISTRY[name]
    if is_class_path(name):
        return load_class_path(name)
    load_entry_points()
    return REGISTRY.get(name)
