"""reformabm: an agent-based model of organisational reform of Chinese local government.

>>> from reformabm import ReformModel, load_scenario

The names are imported on first use (PEP 562), so that ``reformabm --help`` and the error
classes do not pay for importing Mesa, pandas and scipy.
"""

from typing import Any

from reformabm.errors import ReformabmError, ScenarioError

__all__ = ["ReformModel", "load_scenario", "Scenario", "ReformabmError", "ScenarioError"]
__version__ = "0.1.0"

_LAZY = {"ReformModel": "reformabm.model", "load_scenario": "reformabm.scenario", "Scenario": "reformabm.scenario"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'reformabm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
