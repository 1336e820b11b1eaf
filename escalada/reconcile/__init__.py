"""The reconciler: desired configuration (from the policy) against a desk's
current configuration -> a Plan of changes (`plan.py`) -> apply (`apply.py`);
`render.py` renders a plan for people and scripts.

The modules import downwards only (plan <- apply, plan <- render); this package
re-exports the core names and imports nothing back from them."""

from __future__ import annotations

from escalada.reconcile.apply import ApplyReport
from escalada.reconcile.apply import apply
from escalada.reconcile.plan import WRITES
from escalada.reconcile.plan import Change
from escalada.reconcile.plan import DeskPlan
from escalada.reconcile.plan import FieldDiff
from escalada.reconcile.plan import Op
from escalada.reconcile.plan import Plan
from escalada.reconcile.plan import diff_attrs
from escalada.reconcile.plan import plan
from escalada.reconcile.plan import plan_desk

__all__ = [
    "WRITES",
    "ApplyReport",
    "Change",
    "DeskPlan",
    "FieldDiff",
    "Op",
    "Plan",
    "apply",
    "diff_attrs",
    "plan",
    "plan_desk",
]
