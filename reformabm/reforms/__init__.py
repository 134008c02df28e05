"""Reforms (改革): one module per reform, a common base and a registry by name."""

from reformabm.reforms.base import (
    REGISTRY,
    Reform,
    check_schedule,
    make_reform,
    parse_reform,
    schedule_from_scenario,
)
from reformabm.reforms.campaigns import Campaigns
from reformabm.reforms.collaboration import CollaborationAssessment
from reformabm.reforms.digital_platform import DigitalPlatform
from reformabm.reforms.empower_centre import EmpowerCentre
from reformabm.reforms.ledger import SecretaryLedger
from reformabm.reforms.merge_departments import MergeDepartments
from reformabm.reforms.middle_layer import AddMiddleLayer, MiddleLayerRule
from reformabm.reforms.participation import ThreeLineContacts
from reformabm.reforms.remove_layer import RemoveLayer
from reformabm.reforms.rule_growth import RuleGrowth
from reformabm.reforms.supervision import TimeLimitedSupervision
from reformabm.reforms.town_village import TownVillageIntegration

__all__ = [
    "Reform", "REGISTRY", "make_reform", "parse_reform", "schedule_from_scenario", "check_schedule",
    "RemoveLayer", "AddMiddleLayer", "MiddleLayerRule", "MergeDepartments", "EmpowerCentre",
    "DigitalPlatform", "TimeLimitedSupervision", "TownVillageIntegration", "ThreeLineContacts",
    "SecretaryLedger", "CollaborationAssessment", "Campaigns", "RuleGrowth",
]
