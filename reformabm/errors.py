"""Exception hierarchy of reformabm: every error a user can cause is a ``ReformabmError``."""

__all__ = ["ReformabmError", "ScenarioError", "OverrideError", "ReformError", "OutputError"]


class ReformabmError(Exception):
    """Base class of every error reformabm raises on purpose (bad input, impossible reform)."""


class ScenarioError(ReformabmError, ValueError):
    """A scenario file or scenario name is wrong: the message names field, value and expectation."""


class OverrideError(ScenarioError):
    """A ``--set dotted.path=value`` (or a keyword parameter) does not fit the scenario schema."""


class ReformError(ReformabmError, ValueError):
    """A reform cannot be applied to the model it was scheduled on."""


class OutputError(ReformabmError, OSError):
    """Run outputs cannot be written where asked."""
