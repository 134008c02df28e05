"""Accountability units: supervision bureau (督察局) and discipline commission (纪委监委).

They are part of the organisation graph from the start (one of each per unit running a
centre). Their mechanisms (red-light cases, pressing holders, holding units accountable,
blame by level) are switched on by the accountability issue's submodels; until then they
hold no cases and the run reports blame as not applicable.
"""

from __future__ import annotations

from reformabm.agents.base import UnitAgent

__all__ = ["SupervisionBureau", "DisciplineCommission"]


class SupervisionBureau(UnitAgent):
    """Supervision bureau 督察局: takes red-light (overdue) issues and presses their holders."""

    cases: int = 0


class DisciplineCommission(UnitAgent):
    """Discipline commission 纪委监委: holds units accountable for issues overdue under supervision."""

    cases: int = 0
