"""The reason an escalation announces, rendered on the runner's hot path.

The first cycle after onboarding a desk escalates most tickets at once, so
everything a reason needs that depends only on (path, level, priority, and
whether a path trigger brought the ticket in) is worked out once per Evaluator
(`Parts`): the template and the placeholders it uses, the calendars it measures
on, the SLA target's texts, the rule as it fired, the level labels. Per ticket
only what the template uses is computed, and the template is filled in one `%`
when it names only the placeholders an escalation provides (any other stays as
written, through the safe fill, as for every reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from escalada.engine.levels import ZERO
from escalada.engine.levels import LevelPlan
from escalada.engine.levels import Ruler
from escalada.engine.levels import stop_instant
from escalada.engine.reasons import sla_target
from escalada.engine.situation import Situation
from escalada.instants import human
from escalada.instants import stamp
from escalada.policy.model import EscalationPath
from escalada.policy.templates import DEFAULTS
from escalada.policy.templates import Compiled
from escalada.policy.templates import compiled
from escalada.policy.templates import fill

# The placeholders an escalation's reason can use: `ticket_values`, the path,
# level and team, and the ones `EscalationReasons.render` fills.
ESCALATION_NAMES = frozenset(
    {
        "key",
        "title",
        "url",
        "status",
        "priority",
        "priority_title",
        "impact",
        "urgency",
        "organization",
        "vip",
        "now",
        "path",
        "level",
        "team",
        "rule",
        "elapsed",
        "left",
        "target",
        "before",
        "skipped",
        "trigger",
    }
)


@dataclass(frozen=True, slots=True)
class Parts:
    """What an escalation reason needs that is the same for every ticket with
    the same (path, level, priority, arrived)."""

    template: Compiled
    known: bool  # the template names only ESCALATION_NAMES (else: safe fill, every value)
    elapsed: bool  # wants $elapsed
    sla: bool  # wants $left or $target
    rule: bool  # wants $rule or $before
    skipped: bool
    trigger: bool
    plan: LevelPlan
    sla_ruler: Ruler  # the priority's calendar: SLA time elapsed
    within: timedelta | None  # the SLA target the level's `target` refers to
    target_text: str  # "4h resolve target for P1", or "no respond target"
    on_the: str  # " on the 4h resolve target for P1" (empty without a target)
    labels: tuple[str, ...]  # "L1 network-l2" per level
    ladders: tuple[str, ...]  # "L0 service-desk, L1 network-l2" up to each level


class EscalationReasons:
    """Renders the reasons of one Evaluator's escalations."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, int, str | None, bool], tuple[EscalationPath, Parts]] = {}

    def parts(self, situation: Situation, arrived: bool) -> Parts:
        """The parts for the situation's (path, level, priority, arrived)."""
        path = situation.path
        key = (path.name, situation.level, situation.outcome.effective, arrived)
        found = self._parts.get(key)
        if found is None or found[0] is not path:
            built = _build(situation, arrived)
            found = self._parts[key] = (path, built)
        return found[1]

    def render(self, parts: Parts, values: dict[str, str], situation: Situation) -> str:
        """The reason, over `values` (the ticket's, path, level and team), to
        which it adds the escalation's placeholders the template uses."""
        ticket, _, _, _, _, _, plans, clocks, _, level, held, source, moved, _, _ = situation
        plan = parts.plan
        below = held or 0
        by_time = source is None or source.trigger is None
        if parts.elapsed or parts.sla:
            elapsed_sla = clocks.so_far(parts.sla_ruler)
            if parts.elapsed:
                if by_time and plan.ruler is not None:
                    values["elapsed"] = human(clocks.so_far(plan.ruler))
                else:
                    values["elapsed"] = human(elapsed_sla)
            if parts.sla:
                within = parts.within
                if within is None:
                    values["left"] = parts.target_text
                else:
                    remaining = within - elapsed_sla
                    left = human(remaining) + (" left" if remaining > ZERO else " overdue")
                    # `at:` rules name the target themselves
                    named = by_time and plan.level.at is not None
                    values["left"] = left if named else left + parts.on_the
                values["target"] = parts.target_text
        if parts.rule:
            old = ticket.escalation
            elsewhere = f"L{old.level} on {old.path}" if held is None and old.path else None
            rule = source.rule if source else plan.fired
            if moved is not None and held is None:
                before = elsewhere or f"L0 on {moved.moved_from}"
                if source != moved:
                    rule = f"{moved.rule}; {rule}"
            else:
                before = parts.ladders[below]
                if elsewhere:
                    before = f"{elsewhere}, then {before}"
            values["rule"] = rule
            values["before"] = before
        if parts.skipped:
            values["skipped"] = _skipped(parts.labels, situation)
        if parts.trigger:
            values["trigger"] = (source.trigger or "") if source else ""
        if parts.known:
            return parts.template.fill_known(values)
        return fill(parts.template.parts, values)


def _build(situation: Situation, arrived: bool) -> Parts:
    path, level, priority = situation.path, situation.level, situation.priority
    message = path.levels[level].message
    template = compiled(message or DEFAULTS["move" if arrived else "escalate"])
    known = template.names <= ESCALATION_NAMES
    names = template.names if known else ESCALATION_NAMES
    plan = situation.plans[level]
    _, within, target_text, on_the = sla_target(priority, plan.target)
    labels = tuple(f"L{i} {spec.team}" for i, spec in enumerate(path.levels))
    return Parts(
        template=template,
        known=known,
        elapsed="elapsed" in names,
        sla="left" in names or "target" in names,
        rule="rule" in names or "before" in names,
        skipped="skipped" in names,
        trigger="trigger" in names,
        plan=plan,
        sla_ruler=situation.sla_ruler,
        within=within,
        target_text=target_text,
        on_the=on_the,
        labels=labels,
        ladders=tuple(", ".join(labels[: i + 1]) for i in range(len(labels))),
    )


def _skipped(labels: tuple[str, ...], situation: Situation) -> str:
    """` Skipped: L1 network-l2 (due 2026-11-23 09:15Z).`, or empty.

    A level is named with its due instant when its time rule fell due before
    its stop condition was met. For a positive threshold that is the elapsed
    time test `schedule_level` made (elapsed >= threshold, and not elapsed at
    the stop < threshold: the same as due <= now and not stopped < due), kept
    in `clocks.due`, so the instant is computed only for the levels shown."""
    plans, clocks, level = situation.plans, situation.clocks, situation.level
    below = situation.held or 0
    if level - below < 2:
        return ""
    skipped = []
    for index in range(below + 1, level):
        text = labels[index]
        plan = plans[index]
        if plan.ruler is not None and plan.threshold is not None:
            if plan.threshold > ZERO:
                shown = clocks.due >> index & 1
            else:  # a zero threshold falls due at the opening instant itself
                due = clocks.created
                stopped = stop_instant(plan, clocks)
                shown = due <= clocks.now and not (stopped is not None and stopped <= due)
            if shown:
                text += f" (due {stamp(clocks.due_at(plan.ruler, plan.threshold))})"
        skipped.append(text)
    return f" Skipped: {', '.join(skipped)}."
