"""The cross-desk connector contract: one Harness protocol, one set of scenarios.

Every desk ships `tests/connectors/<desk>/harness.py` with a context manager

    @contextmanager
    def open_harness(tmp_path: Path) -> Iterator[Harness]: ...

that builds its fake (a `responses` fake for the HTTP desks, a SQLite file for
the sandbox) and yields an object satisfying `Harness`. `test_contract.py` runs
every scenario below against the harness of every built-in desk of the
registry (`DESKS`), so a desk joins the contract by its registry entry and
its harness file; `bench/connectors.py` measures
the same harnesses.

Rules every harness keeps:
- `connector()` builds the desk's connector through `escalada.connectors.connect`
  with an injected `sleep` that records into `harness.sleeps` and never waits
  (and a fixed clock, `NOW`, where the connector takes one).
- `add_ticket` writes straight into the fake's state (no HTTP call is counted),
  with the policy names mapped through `harness.desk`; `in_scope=False` makes a
  ticket the Desk's scope excludes (another type, project, tag...).
- `calls` counts what the fake served: HTTP requests, retries included (the
  sandbox counts SQL statements).
- `inject(fault, on=..., times=n)` makes the next n candidate reads ("read") or
  ticket writes ("write") fail with `fault`; a "429" carries
  `Retry-After: RETRY_AFTER`. `faults` lists what the harness can inject; a
  scenario needing another one is skipped (the sandbox has no HTTP at all).
- `edit(key, **changes)` is a human editing the ticket on the desk (title=,
  tags=, status=), bumping the desk's revision / updated stamp.
- Optional: `clear_calls`, the calls a `clear_pending` of up to 100 tickets makes
  (desks with the PendingClearing capability).
- Optional: `change_status(key, status, at)` is someone setting the status at the
  instant `at`, written into the fake's history as the desk keeps it (Jira's
  changelog, Zendesk's audits, ServiceNow's sys_audit of `state`, the sandbox's
  status log), so a resolution and a reopen can lie in the past.
- Optional: `set_page_size(n)` makes both the connector and the fake use pages
  of n for candidate reads, so paging is tested with a few tickets; `page_size`
  then reads n.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any
from typing import Literal
from typing import Protocol

import pytest

from escalada.connectors.base import Connector
from escalada.connectors.base import Shard
from escalada.connectors.registry import BUILTIN
from escalada.errors import ConflictError
from escalada.errors import DeskError
from escalada.marker import is_marker
from escalada.marker import retag
from escalada.policy.model import Desk
from escalada.policy.model import SecretRef
from escalada.policy.model import ValueMapping
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Ticket

PRIORITIES = ("P1", "P2", "P3", "P4")
TEAMS = ("service-desk", "network-l2", "it-management")
FAULTS = ("429", "503", "502", "reset", "timeout", "401", "403", "404")
RETRY_AFTER = 2  # seconds: the Retry-After header an injected "429" carries
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # the clock harnesses inject
# Every built-in desk of the registry has its harness, tests/connectors/<desk>/harness.py.
DESKS = tuple(kind.type for kind in BUILTIN)


def harness_module(desk: str) -> Any:
    """The harness module of a desk type (importing it fails the run if it is broken)."""
    return importlib.import_module(f"tests.connectors.{desk}.harness")


OPENED = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)  # created time of contract tickets
SMALL_PAGE = 5  # page size used when a harness has set_page_size

Fault = Literal["429", "503", "502", "reset", "timeout", "401", "403", "404"]
ConflictHandling = Literal["error", "overwrite"]


@dataclass(frozen=True, slots=True)
class DeskView:
    """What is on the desk now, in policy terms (the harness maps desk values back)."""

    title: str
    status: str  # normalized: open | pending | resolved | closed
    team: str | None  # policy team name
    priority: str | None  # policy priority name
    escalation: EscalationState  # the decoded marker (tags, or the note marker line)
    notes: tuple[str, ...] = ()  # internal notes, oldest first
    replies: tuple[str, ...] = ()  # public comments, oldest first
    tags: frozenset[str] = frozenset()  # every tag/label on the desk, markers included


@dataclass(frozen=True, slots=True)
class TicketSpec:
    """A ticket as the scenarios write it with `Harness.add_ticket`, in policy terms."""

    title: str
    created: datetime
    priority: str | None = "P3"
    status: str = "open"
    tags: Sequence[str] = ()
    team: str | None = None
    vip: bool = False
    organization: str | None = None
    impact: str | None = None
    urgency: str | None = None
    description: str = ""
    in_scope: bool = True  # False: a ticket the Desk's scope excludes


class Harness(Protocol):
    """A desk's fake plus a connector on it, as the contract scenarios drive them."""

    name: str  # "sandbox" | "jira" | "zendesk" | "servicenow"
    desk: Desk  # the policy-level Desk (see contract_desk)
    page_size: int  # the API's largest page for candidate reads (or set_page_size's n)
    read_overhead: int  # calls a candidate read makes besides one per page
    apply_calls: int  # calls an apply of assign + comment + mark makes (1 = one write)
    on_conflict: ConflictHandling  # a human edit between read and write: raise or overwrite
    faults: frozenset[str]  # the faults `inject` supports (subset of FAULTS)
    sleeps: list[float]  # every delay the connector's injected sleep received

    def connector(self) -> Connector: ...

    def add_ticket(self, **fields: Any) -> str:
        """Write a ticket given by TicketSpec's fields (`TicketSpec(**fields)`); its key."""
        ...

    def view(self, key: str) -> DeskView: ...

    def inject(self, fault: str, *, on: str = "read", times: int = 1) -> None: ...

    @property
    def calls(self) -> int: ...

    def edit(self, key: str, **changes: Any) -> None: ...


def contract_desk(
    name: str,
    type: Literal["jira", "zendesk", "servicenow", "sandbox"],
    *,
    priorities: Mapping[str, str],
    teams: Mapping[str, str],
    url: str | None = None,
    auth: Mapping[str, SecretRef] | None = None,
    scope: str | None = None,
    impact: ValueMapping | None = None,
    urgency: ValueMapping | None = None,
    fields: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> Desk:
    """The Desk a harness uses: P1..P4 and the three contract teams, all mapped."""
    assert tuple(priorities) == PRIORITIES, f"map exactly {PRIORITIES}"
    assert set(TEAMS) <= set(teams), f"map at least {TEAMS}"
    return Desk(
        name=name,
        type=type,
        url=url,
        auth=dict(auth or {}),
        scope=scope,
        priorities=dict(priorities),
        impact=impact,
        urgency=urgency,
        teams=dict(teams),
        fields=dict(fields or {}),
        options=dict(options or {}),
    )


# --- helpers ------------------------------------------------------------------


def _small_pages(h: Harness) -> int:
    set_page_size: Callable[[int], None] | None = getattr(h, "set_page_size", None)
    if set_page_size is not None:
        set_page_size(SMALL_PAGE)
    return h.page_size


def _need(h: Harness, *faults: str) -> None:
    missing = [f for f in faults if f not in h.faults]
    if missing:
        pytest.skip(f"{h.name} cannot inject {', '.join(missing)}")


def _add_open(h: Harness, count: int, **fields: Any) -> list[str]:
    return [
        h.add_ticket(title=f"Contract ticket {i}", created=OPENED + timedelta(minutes=i), **fields)
        for i in range(count)
    ]


def _read(h: Harness, connector: Connector | None = None, **kwargs: Any) -> dict[str, Ticket]:
    return {t.key: t for t in (connector or h.connector()).candidates(**kwargs)}


def _state(path: str = "critical-outage", level: int = 1, **fields: Any) -> EscalationState:
    return EscalationState(path=path, level=level, since=NOW, **fields)


def _mark(state: EscalationState) -> Action:
    return Action("mark", reason=f"escalated to level {state.level}", state=state)


# --- scenarios ----------------------------------------------------------------


def reads_every_open_ticket_across_pages(h: Harness) -> None:
    page = _small_pages(h)
    wanted = set(_add_open(h, page * 2 + 3))
    wanted.add(h.add_ticket(title="Waiting on the customer", created=OPENED, status="pending"))
    h.add_ticket(title="Fixed", created=OPENED, status="resolved")
    h.add_ticket(title="Long gone", created=OPENED, status="closed")
    h.add_ticket(title="Not ours", created=OPENED, in_scope=False)
    assert set(_read(h)) == wanted


def candidate_read_makes_one_call_per_page(h: Harness) -> None:
    page = _small_pages(h)
    count = page * 2 + 3
    _add_open(h, count)
    connector = h.connector()
    before = h.calls
    assert len(_read(h, connector)) == count
    assert h.calls - before == math.ceil(count / page) + h.read_overhead


def normalizes_ticket_fields(h: Harness) -> None:
    key = h.add_ticket(
        title="VPN down for the Oslo office",
        created=OPENED,
        priority="P2",
        tags=["vpn", "outage"],
        team="network-l2",
        vip=True,
        organization="Acme",
        description="Nobody can connect since 07:50",
    )
    ticket = _read(h)[key]
    assert ticket.desk == h.desk.name
    assert (ticket.title, ticket.status, ticket.priority) == (
        "VPN down for the Oslo office",
        "open",
        "P2",
    )
    assert ticket.team == "network-l2"
    assert ticket.created == OPENED
    assert ticket.description == "Nobody can connect since 07:50"
    assert {"vpn", "outage"} <= ticket.tags
    assert (ticket.requester.vip, ticket.requester.organization) == (True, "Acme")
    assert ticket.escalation == NOT_ESCALATED


def apply_assign_comment_mark_in_one_write(h: Harness) -> None:
    key = h.add_ticket(title="Core switch down", created=OPENED, priority="P1", tags=["outage"])
    connector = h.connector()
    ticket = _read(h, connector)[key]
    state = _state()
    reason = "No response within 15m (P1 respond target): escalated to network-l2"
    actions = [
        Action("assign", reason=reason, team="network-l2"),
        Action("comment", reason=reason),
        Action("notify", reason=reason, team="network-l2", channels=("sd-leads",)),
        _mark(state),
    ]
    before = h.calls
    result = connector.apply(ticket, actions)
    assert result.ticket == key
    assert set(result.written) == {"assign", "comment", "mark"}  # notify is the runner's job
    assert result.calls == h.calls - before == h.apply_calls
    view = h.view(key)
    assert view.team == "network-l2"
    assert any(reason in note for note in view.notes)
    assert view.escalation == state
    assert "outage" in view.tags


def marker_round_trip(h: Harness) -> None:
    key = h.add_ticket(title="Mail delayed", created=OPENED, tags=["email"])
    connector = h.connector()
    first = _state(level=1)
    connector.apply(_read(h, connector)[key], [_mark(first)])
    assert _read(h, connector)[key].escalation == first
    second = _state(level=2, updated=NOW + timedelta(hours=1), asked=True, pending=True)
    connector.apply(_read(h, connector)[key], [_mark(second)])
    reread = _read(h, connector)[key]
    assert reread.escalation == second
    assert "email" in reread.tags


def follow_up_write_uses_the_returned_revision(h: Harness) -> None:
    """The runner's pattern: escalate with the `pending` token, notify, then clear
    the token with a second write on ApplyResult.revision, without a re-read."""
    key = h.add_ticket(title="Core router flapping", created=OPENED, tags=["outage"])
    connector = h.connector()
    ticket = _read(h, connector)[key]
    pending = _state(pending=True)
    result = connector.apply(ticket, [Action("comment", reason="escalated"), _mark(pending)])
    add, remove = retag(ticket.tags, pending)
    written = replace(
        ticket,
        tags=(ticket.tags - remove) | add,
        escalation=pending,
        revision=result.revision if result.revision is not None else ticket.revision,
    )
    connector.apply(written, [_mark(_state())])
    assert h.view(key).escalation == _state()


def clear_removes_markers_and_keeps_desk_tags(h: Harness) -> None:
    key = h.add_ticket(title="Printer on fire", created=OPENED, tags=["vpn", "hardware"])
    connector = h.connector()
    connector.apply(_read(h, connector)[key], [_mark(_state())])
    ticket = _read(h, connector)[key]
    result = connector.apply(
        ticket, [Action("clear", reason="left path critical-outage", state=NOT_ESCALATED)]
    )
    assert result.written == ("clear",)
    view = h.view(key)
    assert view.escalation == NOT_ESCALATED
    assert {t for t in view.tags if not is_marker(t)} >= {"vpn", "hardware"}
    assert _read(h, connector)[key].escalation == NOT_ESCALATED


def clear_pending_removes_only_the_token(h: Harness) -> None:
    """PendingClearing (a capability; desks without it skip): the pending tokens of
    many tickets cleared in a few calls (the harness's `clear_calls`, when it says),
    the rest of each marker and the desk's own tags kept, a ticket edited since its
    escalation cleared too with the edit kept, and each returned as the desk now
    holds it."""
    connector = h.connector()
    clear_pending = getattr(connector, "clear_pending", None)
    if clear_pending is None:
        pytest.skip(f"{h.name} has no clear_pending")
    keys = _add_open(h, 5, tags=["vpn"])
    idle = h.add_ticket(title="Not escalated", created=OPENED, tags=["vpn"])
    read = _read(h, connector)
    pending = _state(pending=True)
    for key in keys:
        connector.apply(read[key], [_mark(pending)])
    h.edit(keys[0], title="Edited by a human since")
    written = [t for k, t in _read(h, connector).items() if k in keys]
    assert all(t.escalation == pending for t in written)
    before = h.calls
    cleared = {t.key: t for t in clear_pending(written)}
    spent = h.calls - before
    assert spent < len(keys)
    expected = getattr(h, "clear_calls", None)
    assert expected is None or spent == expected
    assert set(cleared) == set(keys)
    for key in keys:
        view = h.view(key)
        assert view.escalation == _state()
        assert "vpn" in view.tags
        assert cleared[key].escalation == _state() and "vpn" in cleared[key].tags
    assert h.view(keys[0]).title == "Edited by a human since"
    assert h.view(idle).escalation == NOT_ESCALATED
    assert clear_pending([]) == []


def writes_each_action_type_as_documented(h: Harness) -> None:
    """ask_reason is a public reply, update an internal note, set_priority the priority."""
    key = h.add_ticket(title="Please escalate", created=OPENED, priority="P4", tags=["escalate"])
    connector = h.connector()
    ticket = _read(h, connector)[key]
    ask = "You asked to escalate this ticket: please reply with the reason."
    update = "Still escalated at level 1; next update in 1h."
    result = connector.apply(
        ticket,
        [
            Action("set_priority", reason="matrix says P2", priority="P2"),
            Action("ask_reason", reason=ask),
            Action("update", reason=update, team="service-desk", channels=("sd-leads",)),
            _mark(EscalationState(asked=True)),  # asked before any path is taken
        ],
    )
    assert set(result.written) == {"set_priority", "ask_reason", "update", "mark"}
    view = h.view(key)
    assert view.priority == "P2"
    assert any(ask in reply for reply in view.replies)
    assert not any(ask in note for note in view.notes)
    assert any(update in note for note in view.notes)
    assert view.escalation == EscalationState(asked=True)


def retries_429_with_retry_after_on_read(h: Harness) -> None:
    _need(h, "429")
    wanted = set(_add_open(h, 3))
    h.inject("429", on="read")
    assert set(_read(h)) == wanted
    assert RETRY_AFTER in h.sleeps


def retries_503_on_write(h: Harness) -> None:
    _need(h, "503")
    key = h.add_ticket(title="Slow desk", created=OPENED)
    connector = h.connector()
    ticket = _read(h, connector)[key]
    h.inject("503", on="write")
    connector.apply(ticket, [Action("comment", reason="written after a 503")])
    assert any("written after a 503" in note for note in h.view(key).notes)
    assert h.sleeps


def retries_connection_reset(h: Harness) -> None:
    _need(h, "reset")
    wanted = set(_add_open(h, 3))
    h.inject("reset", on="read")
    assert set(_read(h)) == wanted
    assert h.sleeps


def unauthorized_names_desk_and_credentials(h: Harness) -> None:
    _need(h, "401")
    _add_open(h, 1)
    h.inject("401", on="read")
    with pytest.raises(DeskError) as caught:
        _read(h)
    assert caught.value.desk == h.desk.name
    assert h.desk.name in str(caught.value)
    assert "credential" in (caught.value.hint or "").lower()


def exhausted_retries_raise_desk_error(h: Harness) -> None:
    _need(h, "503")
    _add_open(h, 1)
    h.inject("503", on="read", times=1000)
    with pytest.raises(DeskError) as caught:
        _read(h)
    assert not isinstance(caught.value, ConflictError)
    assert caught.value.desk == h.desk.name


def shards_partition_candidates(h: Harness) -> None:
    page = _small_pages(h)
    everything = set(_add_open(h, page * 2 + 3))
    connector = h.connector()
    for count in (2, 3):
        parts = [set(_read(h, connector, shard=Shard(i, count))) for i in range(count)]
        assert set().union(*parts) == everything
        assert sum(len(p) for p in parts) == len(everything)  # disjoint


def concurrent_edit_between_read_and_write(h: Harness) -> None:
    key = h.add_ticket(title="Flaky wifi", created=OPENED, tags=["wifi"])
    connector = h.connector()
    ticket = _read(h, connector)[key]
    h.edit(key, title="Flaky wifi on floor 3")
    actions = [Action("comment", reason="escalated: no response"), _mark(_state())]
    if h.on_conflict == "error":
        with pytest.raises(ConflictError) as caught:
            connector.apply(ticket, actions)
        assert caught.value.desk == h.desk.name
        view = h.view(key)
        assert view.escalation == NOT_ESCALATED
        assert not any("escalated: no response" in note for note in view.notes)
    else:
        connector.apply(ticket, actions)
        view = h.view(key)
        assert view.escalation == _state()
    assert view.title == "Flaky wifi on floor 3"  # the human's edit survives either way


SCENARIOS: tuple[Callable[[Harness], None], ...] = (
    reads_every_open_ticket_across_pages,
    candidate_read_makes_one_call_per_page,
    normalizes_ticket_fields,
    apply_assign_comment_mark_in_one_write,
    marker_round_trip,
    follow_up_write_uses_the_returned_revision,
    clear_removes_markers_and_keeps_desk_tags,
    clear_pending_removes_only_the_token,
    writes_each_action_type_as_documented,
    retries_429_with_retry_after_on_read,
    retries_503_on_write,
    retries_connection_reset,
    unauthorized_names_desk_and_credentials,
    exhausted_retries_raise_desk_error,
    shards_partition_candidates,
    concurrent_edit_between_read_and_write,
)
