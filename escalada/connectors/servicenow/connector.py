"""The ServiceNow connector, on pysnc (ServiceNow's maintained client).

Reads: one Table API query per page of 10,000 incidents (the most one call
returns), only the fields a Ticket needs, `sysparm_display_value=all` so
reference fields come back as sys_id and name together. Without a marker
field the escalation marker lives in work notes, read back with one
sys_journal_field query per page of candidates.

Writes: one PATCH with every action of the ticket, after a re-read of its
`sys_mod_count` batched with the next candidates' (one query per 100); a
ticket whose `sys_mod_count` moved since the candidate read is not written
(ConflictError; the next cycle re-reads it). `clear_pending` is one Batch API
call per 100 tickets. See writes.py for both and what the batching costs.

Concurrent writes: the runner may call `apply` from several threads at once
(DeskKind.concurrent_writes). The requests share the session and its adapter
(escalada.connectors.http: per-request deadlines, counters under a lock);
pysnc's Table API keeps no state per call and each write updates its own
record; what `call` learns of a call's errors (the response hook's) is kept per
thread; the re-reads and the lazy lookups (groups, priority cells) are under
locks, so the writes waiting on one use it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from datetime import datetime
from functools import partial
from typing import Any
from typing import Literal

import requests
from pysnc import ServiceNowClient
from pysnc import exceptions as sn_errors

from escalada import redaction
from escalada.connectors.base import REAL
from escalada.connectors.base import ApplyResult
from escalada.connectors.base import CheckItem
from escalada.connectors.base import ConfigObject
from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.connectors.http import error_for_status
from escalada.connectors.records import Rejects
from escalada.connectors.servicenow import history as hist
from escalada.connectors.servicenow import options as opts
from escalada.connectors.servicenow import tickets as tr
from escalada.connectors.servicenow import writes
from escalada.connectors.servicenow.client import BatchUnserviced
from escalada.connectors.servicenow.session import authenticate
from escalada.connectors.session import resilient_session
from escalada.engine.readneeds import NO_POLICY
from escalada.engine.readneeds import ReadNeeds
from escalada.errors import ConflictError
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Ticket

log = logging.getLogger("escalada.servicenow")

PYSNC_ERRORS = (
    sn_errors.AuthenticationException,
    sn_errors.RoleException,
    sn_errors.NotFoundException,
    sn_errors.RequestException,
    sn_errors.RestException,
)
# What pysnc 1.2.1 raises on a Batch API reply it does not expect: an item left in
# `unserviced_requests` (past the 30 s transaction quota or the 10 MB item size,
# batch-api.md "Size and processing limits") is retried twice, then its hook gets
# None and GlideRecord._do_query fails with AttributeError; a reply without
# `serviced_requests` or with another batch id fails with KeyError or AssertionError.
BATCH_REPLY_ERRORS = (AttributeError, KeyError, TypeError, AssertionError, ValueError)
UNSERVICED_HINT = (
    "ServiceNow's Batch API left the request unserviced (an item past 30 s or 10 MB): "
    "lower spec.options.page_size"
)
HINTS = {
    401: "ServiceNow refused the credentials: check the variables or files named in the "
    "Desk's auth (user and password, or an OAuth client_id and client_secret)",
    403: "the account lacks a role or an ACL allows it no access: the runner needs `itil` "
    "(incidents, sys_user_group, sys_journal_field); `escalada apply` needs `admin` "
    "(dl_u_priority, contract_sla, cmn_schedule*)",
}


class _Seen:
    """What the responses of one `call` showed: pysnc's errors carry none of it."""

    __slots__ = ("failure", "batch_failure", "batched", "unserviced")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.failure: tuple[int, str] | None = None  # the last error response seen
        self.batch_failure: tuple[int, str] | None = None
        self.batched = False  # a Batch API reply was seen in this call
        self.unserviced = 0  # items ServiceNow left unserviced in this call


class ServiceNowConnector:
    """A Desk of type servicenow: incidents (or options.table) through the Table API."""

    def __init__(
        self,
        desk: Desk,
        *,
        needs: ReadNeeds = NO_POLICY,
        wiring: Wiring = REAL,
    ) -> None:
        self.desk = desk
        self.options = opts.parse_options(desk)
        self.needs = needs
        self._clock = wiring.clock
        if not (desk.url or "").startswith("https://"):
            raise EscaladaError(
                f"desk {desk.name!r}: spec.url {desk.url!r} is not an https URL",
                where=str(desk.where) if desk.where.line else None,
                hint="write the instance URL, e.g. url: https://acme.service-now.com",
            )
        self.rejects = Rejects(desk.name)  # records that do not read as tickets
        session, self._adapter = resilient_session(
            desk, sleep=wiring.sleep, jitter=wiring.jitter, budget=wiring.budget
        )
        self._session = session
        self._instance = (desk.url or "").rstrip("/")
        session.auth, self._user = authenticate(desk, session, self._instance, wiring.environ)
        if self.options.user:  # `desks check` queries sys_user by it: kept out of --debug logs
            redaction.remember(self.options.user)
        session.hooks["response"].append(self._remember)
        self.client = ServiceNowClient(self._instance, auth=session, auto_retry=False)
        self._seen = threading.local()  # what the responses of this thread's call showed
        self.budget = wiring.budget  # the account's (the runner sizes its writes by it)
        self._lookups = threading.RLock()  # the lazy lookups, from concurrent writes
        self._groups: dict[str, str] | None = None  # group name -> sys_id
        self._cells: tr.Cells | None = tr.matrix_cells(desk, needs.matrix)
        self._rereads = writes.Rereads()

    def __repr__(self) -> str:
        return f"ServiceNowConnector({self.desk.name!r}, {self._instance!r})"

    @property
    def calls(self) -> int:
        return self._adapter.calls

    def refresh(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """Candidates are read in full, never partial: nothing to re-read."""
        return list(tickets)

    def close(self) -> None:
        self._session.close()

    @property
    def user(self) -> str | None:
        """The account name under Basic auth (None under OAuth)."""
        return self._user

    # --- plumbing -------------------------------------------------------------

    @property
    def _state(self) -> _Seen:
        """What this thread's responses showed (the hook runs in the requesting thread)."""
        state: _Seen | None = getattr(self._seen, "state", None)
        if state is None:
            state = self._seen.state = _Seen()
        return state

    @property
    def _batch_failure(self) -> tuple[int, str] | None:
        return self._state.batch_failure

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Keep the status and message of error responses: pysnc's exceptions drop them,
        and pysnc ignores a failed request inside a Batch API call altogether."""
        seen = self._state
        if response.status_code >= 400:
            seen.failure = (response.status_code, _message(response.text))
        elif response.request.url and "/api/now/v1/batch" in response.request.url:
            seen.batched = True
            try:
                data = response.json()
                served_requests = list(data.get("serviced_requests") or [])
                seen.unserviced += len(data.get("unserviced_requests") or [])
            except (ValueError, AttributeError, TypeError):
                served_requests = []
            for served in served_requests:
                if served.get("status_code", 200) >= 400:
                    text = _decode64(served.get("body", ""))
                    seen.batch_failure = (served["status_code"], _message(text))

    @contextlib.contextmanager
    def call(self, operation: str) -> Iterator[None]:
        seen = self._state
        seen.reset()
        try:
            yield
        except PYSNC_ERRORS as error:
            status, detail = seen.failure or (None, str(error))
            raise error_for_status(
                self.desk.name, operation, status, detail, hint=HINTS.get(status or 0)
            ) from None
        except BATCH_REPLY_ERRORS:
            if not seen.batched:
                raise
            if seen.unserviced:
                raise BatchUnserviced(
                    self.desk.name,
                    operation,
                    "the Batch API did not serve the request",
                    hint=UNSERVICED_HINT,
                ) from None
            raise DeskError(
                self.desk.name, operation, "the Batch API reply has an unexpected shape"
            ) from None
        if seen.batch_failure is not None:
            status, detail = seen.batch_failure
            raise error_for_status(
                self.desk.name, operation, status, detail, hint=HINTS.get(status)
            )

    def rows(
        self,
        table: str,
        query: str,
        fields: Sequence[str],
        operation: str,
        *,
        limit: int | None = None,
        page: int | None = None,
    ) -> list[dict[str, tuple[str, str]]]:
        """Every matching row (pysnc pages by offset, ordered by sys_id), at most
        `page` rows per call (options.page_size by default)."""
        # rewindable=False would save memory, but pysnc 1.2.1 then drops the last row
        # of the first page (it clears results[current - 1] at current 0).
        size = min(page or self.options.page_size, self.options.page_size)
        record = self.client.GlideRecord(table, batch_size=size)
        record.fields = list(fields)
        if query:
            record.add_encoded_query(query)
        if limit is not None:
            record.batch_size = limit
            record.limit = limit
        rows = []
        with self.call(operation):
            record.query()
            for current in record:
                rows.append({f: _pair(current, f) for f in ["sys_id", *fields]})
        return rows

    # --- candidates -------------------------------------------------------------

    def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
        """Every page is read before the first ticket is yielded (offset paging)."""
        query = opts.candidate_query(self.desk, self.options)
        return self._tickets(query, shard, f"read candidates from {self.options.table}")

    # --- history (escalada.connectors.servicenow.history) ------------------------

    def history(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        return hist.read_history(self, tickets)

    def window(self, *, since: datetime | None = None) -> Iterator[Ticket]:
        tickets = list(self.candidates())
        done = None if since is None else hist.done_query(self.desk, self.options, since)
        if done is not None:
            read = self._tickets(done, None, f"read resolved tickets from {self.options.table}")
            tickets += [t for t in read if hist.in_window(t, since)]
        return iter(self.history(tickets))

    def _tickets(self, query: str, shard: Shard | None, operation: str) -> Iterator[Ticket]:
        from escalada.connectors.servicenow.journal import latest_comments
        from escalada.connectors.servicenow.journal import note_markers

        self._group_ids()
        rows = self.rows(
            self.options.table, query, opts.read_fields(self.desk, self.options), operation
        )
        owned = [r for r in rows if shard is None or shard.owns(r["number"][0])]
        ids = [row["sys_id"][0] for row in owned]
        self._rereads.candidates(ids)
        markers = {} if self.options.marker_field else note_markers(self, ids)
        read = [
            (
                i,
                self.rejects.read(
                    row["number"][0] or i, partial(self._ticket, row, markers.get(i))
                ),
            )
            for i, row in zip(ids, owned, strict=True)
        ]
        ids = [i for i, ticket in read if ticket is not None]
        tickets = [ticket for _, ticket in read if ticket is not None]
        asking = [
            i for i, ticket in zip(ids, tickets, strict=True) if self.needs.latest_comment(ticket)
        ]
        comments = latest_comments(self, asking) if asking else {}
        for sys_id, ticket in zip(ids, tickets, strict=True):
            if sys_id in comments:
                ticket = replace(ticket, latest_comment=comments[sys_id])
            yield ticket

    def _ticket(self, row: Any, escalation: EscalationState | None) -> Ticket:
        return tr.to_ticket(
            self.desk, self.options, row, instance=self._instance, escalation=escalation
        )

    def _group_ids(self) -> dict[str, str]:
        """The sys_id of every mapped group, looked up once per connector."""
        with self._lookups:
            return self._read_group_ids()

    def _read_group_ids(self) -> dict[str, str]:
        if self._groups is None and not self.desk.teams:
            self._groups = {}
        if self._groups is None:
            names = sorted({opts.query_safe(g, "group") for g in self.desk.teams.values()})
            rows = self.rows(
                "sys_user_group",
                f"nameIN{','.join(names)}^active=true",
                ["name"],
                "look up assignment groups",
            )
            self._groups = {}
            for row in rows:
                self._groups.setdefault(row["name"][0], row["sys_id"][0])
        return self._groups

    def _group_id(self, name: str) -> str:
        found = self._group_ids().get(name)
        if found is None:
            raise DeskError(
                self.desk.name,
                "assign",
                f"assignment group {name!r} does not exist or is inactive",
                hint="create it in ServiceNow or fix the Desk's teams; `escalada desks check` "
                "verifies every mapped group",
            )
        return found

    def _priority_cells(self) -> tr.Cells:
        with self._lookups:
            return self._read_priority_cells()

    def _read_priority_cells(self) -> tr.Cells:
        if self._cells is None:
            rows = self.rows(
                "dl_u_priority",
                "active=true",
                ["impact", "urgency", "priority"],
                "read priority lookup rules",
            )
            self._cells = {(r["impact"][0], r["urgency"][0]): r["priority"][0] for r in rows}
        return self._cells

    # --- writes -----------------------------------------------------------------

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        touched = tr.fields_touched(self.desk, self.options, actions)
        if not touched:
            return ApplyResult(ticket.key, (), 0, ticket.revision)
        before = self.calls
        sys_id, _, mod_count = (ticket.revision or "").partition(":")
        if sys_id:
            record = self._reread(sys_id, ticket.key)
        else:  # a ticket not read by candidates(): read it now
            record = self.client.GlideRecord(self.options.table)
            record.fields = self._write_fields()
            with self.call(f"re-read {ticket.key}"):
                record = record if record.get("number", ticket.key) else None
        if record is None:
            raise ConflictError(self.desk.name, f"write {ticket.key}", "the ticket was deleted")
        if mod_count and record.get_value("sys_mod_count") != mod_count:
            raise ConflictError(
                self.desk.name,
                f"write {ticket.key}",
                f"changed on the desk since it was read (sys_mod_count {mod_count} -> "
                f"{record.get_value('sys_mod_count')}, "
                f"updated {record.get_value('sys_updated_on')})",
                hint="the next cycle re-reads it",
            )
        current = {name: record.get_value(name) or "" for name in touched}
        write = tr.plan_write(
            self.desk,
            self.options,
            actions,
            current,
            group_id=self._group_id,
            cells=self._priority_cells,
        )
        for name, value in write.fields.items():
            record.set_value(name, value)
        if record.changes():
            try:
                with self.call(f"PATCH {self.options.table} {ticket.key}"):
                    record.update()
            except BaseException:
                self._rereads.forget(sys_id)  # its unsent changes must not ride a later write
                raise
            self._verify(ticket.key, record, write.fields)
        self._verify_priority(ticket.key, record, actions)
        if ticket.escalation.pending and any(
            a.type in ("mark", "clear") and not (a.state and a.state.pending) for a in actions
        ):
            self._rereads.drop()  # its messages went out: another runner may have run since
        revision = f"{record.get_value('sys_id')}:{record.get_value('sys_mod_count')}"
        return ApplyResult(ticket.key, write.written, self.calls - before, revision)

    def _write_fields(self) -> list[str]:
        """Every field an apply may write, and the concurrency token."""
        names = ["sys_id", "number", "sys_mod_count", "sys_updated_on", "assignment_group"]
        names += ["work_notes", "comments", opts.impact_field(self.desk)]
        names += [opts.urgency_field(self.desk), "priority"]
        if self.options.marker_field:
            names.append(self.options.marker_field)
        return list(dict.fromkeys(names))

    def _reread(self, sys_id: str, key: str) -> Any | None:
        """The record about to be written, as re-read: with the next candidates not
        re-read yet, one query per REREAD_BATCH (writes.py); None when it is gone."""
        rereads = self._rereads
        with rereads.lock:
            if sys_id not in rereads.records:
                ids = rereads.chunk(sys_id)
                record = self.client.GlideRecord(self.options.table, batch_size=len(ids))
                record.fields = self._write_fields()
                record.add_encoded_query(f"sys_idIN{','.join(ids)}")
                with self.call(f"re-read {key} and {len(ids) - 1} more tickets before writing"):
                    record.query()
                    for current in record:
                        copied = writes.unchanged(current.pop_record(), self._write_fields())
                        rereads.records[str(current.get_value("sys_id"))] = copied
                for other in ids:
                    rereads.records.setdefault(other, None)
            return rereads.records[sys_id]

    def clear_pending(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """Each ticket's marker without its pending token, one PATCH per ticket inside
        one Batch API call per 100 tickets (writes.py)."""
        cleared: list[Ticket] = []
        for chunk in writes.batched(list(tickets), writes.CLEAR_BATCH):
            cleared += self._clear_chunk(chunk)
        self._rereads.drop()  # messages went out: the next write re-reads
        return cleared

    def _clear_chunk(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        done: dict[str, Ticket] = {}
        queued: list[str] = []
        batch = self.client.batch_api
        for ticket in tickets:
            sys_id = (ticket.revision or "").partition(":")[0]
            record = self._reread(sys_id, ticket.key) if sys_id else None
            if record is None:
                continue  # gone (or never read): nothing to clear
            name, value = writes.cleared_marker(ticket, self.options.marker_field)
            record.set_value(name, value)
            cleared = writes.without_token(ticket)
            if not record.changes():
                done[ticket.key] = cleared
                continue

            def hook(response: Any, ticket: Ticket = ticket, cleared: Ticket = cleared) -> None:
                if response is not None and response.status_code == 200:
                    done[ticket.key] = replace(cleared, revision=writes.revision_of(response))

            batch.patch(record, hook)
            queued.append(sys_id)
        if queued:
            try:
                with self.call(f"clear the pending token of {len(queued)} tickets"):
                    batch.execute()
            except DeskError:
                if self._batch_failure is None:
                    raise  # the call itself failed, not one of its items
            finally:
                for sys_id in queued:  # the batch does not splice answers into records
                    self._rereads.forget(sys_id)
        left = [t.key for t in tickets if t.key not in done]
        if left:
            log.warning(
                "desk %s: the pending token of %s was not cleared; their messages are "
                "re-sent past the resend lease",
                self.desk.name,
                ", ".join(left[:10]) + (" ..." if len(left) > 10 else ""),
            )
        return [done[t.key] for t in tickets if t.key in done]

    def _verify(self, key: str, record: Any, fields: Mapping[str, str]) -> None:
        """ServiceNow ignores a field it does not know (or may not write) without an error:
        compare what came back with what was sent."""
        for name, sent in fields.items():
            if name in ("work_notes", "comments"):
                continue
            kept = record.get_value(name)
            if kept != sent:
                hint = "check the Desk's field ids and the account's write ACLs"
                if name == self.options.marker_field:
                    hint = (
                        f"create the string field {name} on {self.options.table} "
                        "(or remove options.marker_field to keep the marker in work notes)"
                    )
                raise DeskError(
                    self.desk.name,
                    f"PATCH {self.options.table} {key}",
                    f"ServiceNow did not keep {name}={sent!r} (it reads {kept!r})",
                    hint=hint,
                )

    def _verify_priority(self, key: str, record: Any, actions: Sequence[Action]) -> None:
        wanted = [self.desk.priorities.get(a.priority or "") for a in actions]
        wanted = [w for w, a in zip(wanted, actions, strict=True) if a.type == "set_priority"]
        derived = record.get_value("priority")
        if wanted and derived != wanted[-1]:
            raise DeskError(
                self.desk.name,
                f"set the priority of {key}",
                f"set impact and urgency for priority {wanted[-1]}, but the instance derived "
                f"priority {derived}",
                hint="its Priority Lookup Rules (dl_u_priority) differ from the policy's matrix: "
                "set options.manage_priority_lookup: true and run `escalada apply`, or align "
                "the matrix",
            )

    # --- check and configuration --------------------------------------------------

    def check(self, policy: Policy | None = None) -> list[CheckItem]:
        from escalada.connectors.servicenow.check import run_checks

        return run_checks(self)

    def today(self) -> date:
        return self._clock().date()

    def desired_config(self, policy: Policy) -> list[ConfigObject]:
        from escalada.connectors.servicenow.config import desired

        return desired(self.desk, self.options, policy, today=self.today())

    def current_config(self) -> list[ConfigObject]:
        from escalada.connectors.servicenow.config_records import read_config

        return read_config(self)

    def write_config(
        self, op: Literal["create", "update", "delete"], obj: ConfigObject
    ) -> ConfigObject:
        from escalada.connectors.servicenow.config_records import write_config

        return write_config(self, op, obj)


def _pair(record: Any, name: str) -> tuple[str, str]:
    value = record.get_value(name)
    display = record.get_display_value(name)
    return ("" if value is None else str(value), "" if display is None else str(display))


def _message(text: str) -> str:
    import json

    try:
        body = json.loads(text)
    except ValueError:
        return text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return ": ".join(str(p) for p in (error.get("message"), error.get("detail")) if p)
    return text[:200]


def _decode64(text: str) -> str:
    import base64

    try:
        return base64.b64decode(text).decode("utf-8", "replace")
    except ValueError:
        return ""
