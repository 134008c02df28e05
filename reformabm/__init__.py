"""reformabm: an agent-based model of organisational reform of Chinese local government.

>>> from reformabm import ReformModel, load_scenario
"""

from reformabm.errors import ReformabmError, ScenarioError
from reformabm.model import ReformModel
from reformabm.scenario import Scenario, load_scenario

__all__ = ["ReformModel", "load_scenario", "Scenario", "ReformabmError", "ScenarioError"]
__version__ = "0.1.0"
