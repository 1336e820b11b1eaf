"""Zendesk Support connector, on zenpy.

Reading candidates. The search export (`GET /api/v2/search/export.json`,
cursor-paginated, `page[size]` up to 1000, `filter[type]=ticket`) lists the
tickets matching `<Desk.scope> status<solved` past the 1,000-result cap of
`search.json`. The GET is issued on zenpy's session, not through
`zenpy.search_export`, because zenpy also writes `type:ticket` into the query,
which the export documentation says is an error. A read is the export pages
and the group list (one call per 100 groups), nothing per ticket: the
export's results are whole tickets (tags, group, priority, fields, status,
`updated_at`). The export has a limit of its own, 100 requests a minute per
account on top of the account's (desk-apis.md 2.10 [S16]): its pages draw from
that budget too, a shard of N taking 1/N, so a read of more than 100,000 open
tickets (100 pages of 1,000) spans more than a minute rather than meeting 429s.
What it lacks is the first-reply time (`responded`: the ticket has no such
timestamp, only its metric set has) and organisation names, and it comes from
the search index, which lags the ticket store by minutes.
`tickets.partial_read` decides per policy: tickets are yielded
`partial` when a level stops on `unless: responded`, when safe updates are
off, and when a ticket's organisation was not named (reasons may name it).
Organisation names are resolved during the read (organizations/show_many, 100
per call, each organisation once) only when a condition tests them: an unknown
one could hide an escalation from the runner's due check.

Refreshing. The runner calls `refresh` only for partial tickets with
something due: `GET /api/v2/tickets/show_many.json?ids=<100 ids>&include=metric_sets,organizations`
per 100 of them reads the ticket store (so the marker written in the last
cycle and the `updated_at` of the safe update are current, which also narrows
the window in which another edit makes the write conflict), the metric sets
(`responded`) and the organisations in one call. Tickets solved or closed
since the export, or deleted, are left out; the runner drops them. The scope
is not re-checked: a ticket moved out of scope in the seconds between the
export and the refresh is still handled this cycle. See
bench/zendesk_responded.py for the calls each way costs.

Writing. All of a ticket's actions go in one `PUT /api/v2/tickets/{id}.json`
with `safe_update: true, updated_stamp: <updated_at as read>`: a ticket that
changed since it was read answers 409, raised as ConflictError (the runner's
next cycle re-reads and re-evaluates it). Tags are sent as the full new list computed from
the tags just read (`tags` replaces every tag); the safe update makes a tag a
human added meanwhile a 409, never a silent loss. A Zendesk update carries one
comment, so a public reply (`ask_reason`) due together with an internal note
makes two PUTs (see tickets.plan_writes).

History. `history` (the runner's) reads the audits (status changes with
their times) only of the tickets whose metric set shows a pause, taking the
metric sets the refresh read this cycle or reading them 100 a call; `window`
reads the export's tickets with every ticket's audits: see history.py.

Concurrency. The runner may call `apply` from several threads at once
(DeskKind.concurrent_writes): the requests share the session and its adapter
(escalada.connectors.http: per-request deadlines, counters under a lock), and
each thread puts its update through a zenpy client of its own: zenpy's
TicketApi keeps the object being sent in `_dirty_object` and clears its
changed attributes when an answer comes, so one thread's answer could empty
another's update before it is serialised. The group list an update maps teams
with is read by `candidates`, before any write.

Transport. The shared ResilientAdapter is mounted on the session handed to
zenpy (zenpy mounts its own Retry adapter only on sessions it creates), so
429/5xx/resets are retried in one place with an injected sleep; zenpy's own
429 loop never sees a 429 (and `ratelimit_budget=1` makes it raise at once if
it ever did).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any
from typing import Literal
from urllib.parse import urlsplit

import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Ticket as ZenpyTicket
from zenpy.lib.exception import APIException
from zenpy.lib.exception import ZenpyException

from escalada.connectors.base import REAL
from escalada.connectors.base import ApplyResult
from escalada.connectors.base import CheckItem
from escalada.connectors.base import ConfigObject
from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.connectors.records import Rejects
from escalada.connectors.session import desk_secrets
from escalada.connectors.session import resilient_session
from escalada.connectors.zendesk import bulk as zendesk_bulk
from escalada.connectors.zendesk import check as zendesk_check
from escalada.connectors.zendesk import config as zendesk_config
from escalada.connectors.zendesk import history as zendesk_history
from escalada.connectors.zendesk.tickets import OPEN_STATUSES
from escalada.connectors.zendesk.tickets import Lookups
from escalada.connectors.zendesk.tickets import desk_error
from escalada.connectors.zendesk.tickets import partial_read
from escalada.connectors.zendesk.tickets import plan_writes
from escalada.connectors.zendesk.tickets import split_url
from escalada.connectors.zendesk.tickets import to_ticket
from escalada.connectors.zendesk.tickets import zenpy_error
from escalada.engine.readneeds import NO_POLICY
from escalada.engine.readneeds import ReadNeeds
from escalada.errors import DeskError
from escalada.pacing import BUDGETS
from escalada.pacing import RateBudget
from escalada.pacing import parse_rate
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.ticket import Action
from escalada.ticket import Ticket

log = logging.getLogger("escalada.zendesk")

EXPORT_PAGE_MAX = 1000  # page[size] cap of the search export
SEARCH_EXPORT_RATE = "100/min"  # the export's own limit, per account (desk-apis.md 2.10)
SHOW_MANY_MAX = 100  # ids per show_many call
TIMEOUT = 30.0


class ZendeskConnector:
    """A Connector on Zendesk Support (see the module docstring)."""

    def __init__(
        self,
        desk: Desk,
        *,
        needs: ReadNeeds = NO_POLICY,
        wiring: Wiring = REAL,
        page_size: int = EXPORT_PAGE_MAX,
    ) -> None:
        self.desk = desk
        self.needs = needs
        self.page_size = min(page_size, EXPORT_PAGE_MAX)
        self.clock = wiring.clock
        self.rejects = Rejects(desk.name)  # tickets whose record does not read
        self.sleep = wiring.sleep
        subdomain, domain = split_url(desk)
        self.host = f"{subdomain}.{domain}"
        email, token = desk_secrets(
            desk,
            ("email", "token"),
            environ=wiring.environ,
            hint="write auth: {email: {env: ZENDESK_EMAIL}, token: {env: ZENDESK_API_TOKEN}}, "
            "an API token of an agent or admin",
        )
        self.budget = wiring.budget
        self.session, self.adapter = resilient_session(
            desk, sleep=wiring.sleep, jitter=wiring.jitter, budget=wiring.budget
        )
        self._zenpy = partial(
            Zenpy,
            subdomain=subdomain,
            domain=domain,
            email=email,
            token=token,
            session=self.session,
            timeout=TIMEOUT,
            ratelimit_budget=1,
            disable_cache=True,
        )
        self.client = self._zenpy()
        self._owner = threading.get_ident()  # the thread `client` is for
        self._writers = threading.local()  # a zenpy client per other writing thread (`_put`)
        self._groups: dict[int, str] | None = None
        self._me: dict[str, Any] | None = None
        self._organizations: dict[int, str] = {}  # id -> name, as read
        self._metric_sets: dict[int, Mapping[str, Any]] = {}  # by ticket id, as last read

    def __repr__(self) -> str:
        return f"ZendeskConnector(desk={self.desk.name!r}, host={self.host!r})"

    @property
    def calls(self) -> int:
        return self.adapter.calls

    def close(self) -> None:
        self.session.close()

    # --- HTTP ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """One call on zenpy's session: the JSON body, or one clear DeskError."""
        url = path if path.startswith("https://") else f"https://{self.host}/api/v2/{path}"
        if urlsplit(url).hostname != self.host:  # never send credentials to another host
            raise DeskError(self.desk.name, operation, f"refusing to follow a link to {url}")
        response = self.session.request(method, url, params=params, json=body, timeout=TIMEOUT)
        if not response.ok:
            raise desk_error(self.desk.name, operation, response)
        return response.json() if response.content else None

    @contextmanager
    def zenpy_call(self, operation: str) -> Iterator[None]:
        try:
            yield
        except (APIException, ZenpyException, requests.HTTPError) as error:
            raise zenpy_error(self.desk.name, operation, error) from None

    # --- reading ---------------------------------------------------------------

    def groups(self, *, refresh: bool = False) -> dict[int, str]:
        """Group id -> name, listed once per candidate read (zenpy, cursor pages of 100)."""
        if self._groups is None or refresh:
            with self.zenpy_call("list groups"):
                self._groups = {int(g.id): str(g.name) for g in self.client.groups()}
        return self._groups

    def me(self) -> dict[str, Any]:
        if self._me is None:
            with self.zenpy_call("read the API user (users/me)"):
                user = self.client.users.me()
            self._me = {"id": user.id, "role": user.role, "name": user.name}
        return self._me

    def query(self) -> str:
        scope = (self.desk.scope or "").strip()
        return f"{scope} status<solved".strip()

    def export(
        self, shard: Shard | None = None, query: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The open tickets in scope (or those `query` finds, as the search index
        has them), a page at a time."""
        params: Mapping[str, Any] | None = {
            "query": query or self.query(),
            "filter[type]": "ticket",
            "page[size]": self.page_size,
        }
        url = "search/export.json"
        seen: set[int] = set()  # a ticket listed twice would be written twice
        budget = self._export_budget(shard)
        while True:
            if budget is not None:
                budget.acquire()
            page = self.request("GET", url, "search export", params=params)
            results: list[dict[str, Any]] = []
            for result in page.get("results") or []:
                ticket_id = int(result["id"])
                if result.get("result_type", "ticket") != "ticket" or ticket_id in seen:
                    continue
                seen.add(ticket_id)
                if shard is None or shard.owns(str(ticket_id)):
                    results.append(result)
            yield results
            following = (page.get("links") or {}).get("next")
            if not (page.get("meta") or {}).get("has_more") or not following:
                return
            url, params = following, None  # the next link carries every parameter

    def _export_budget(self, shard: Shard | None) -> RateBudget | None:
        """The search export's own budget for this account (shared by every connector
        of it in this process, across cycles); none where the account is unpaced."""
        if self.budget is None:
            return None
        clock = self.clock
        return BUDGETS.get(
            ("zendesk", self.host, "search export"),
            parse_rate(SEARCH_EXPORT_RATE),
            share=shard.count if shard is not None else 1,
            clock=lambda: clock().timestamp(),
            sleep=self.sleep,
            key=(self.clock, self.sleep),
        )

    def show_many(self, ids: Sequence[int]) -> tuple[list[dict[str, Any]], Lookups]:
        """Up to 100 tickets from the ticket store, with their metric sets and
        organizations, in one call."""
        data = self.request(
            "GET",
            "tickets/show_many.json",
            "read tickets",
            params={"ids": ",".join(map(str, ids)), "include": "metric_sets,organizations"},
        )
        organizations = {int(o["id"]): str(o["name"]) for o in data.get("organizations") or []}
        for metric_set in data.get("metric_sets") or []:
            self._metric_sets[int(metric_set["ticket_id"])] = metric_set
        self._organizations.update(organizations)
        lookups = Lookups(
            groups=self.groups(),
            organizations=organizations,
            metric_sets={int(m["ticket_id"]): m for m in data.get("metric_sets") or []},
        )
        return list(data.get("tickets") or []), lookups

    def organizations(self, raws: Sequence[Mapping[str, Any]]) -> dict[int, str]:
        """Names of the tickets' organisations: each unknown one read once, 100 per call."""
        wanted = {int(r["organization_id"]) for r in raws if r.get("organization_id")}
        missing = sorted(wanted - self._organizations.keys())
        for start in range(0, len(missing), SHOW_MANY_MAX):
            batch = missing[start : start + SHOW_MANY_MAX]
            data = self.request(
                "GET",
                "organizations/show_many.json",
                "read organizations",
                params={"ids": ",".join(map(str, batch))},
            )
            for org in data.get("organizations") or []:
                self._organizations[int(org["id"])] = str(org["name"])
        return self._organizations

    def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
        """Export pages only; `partial` tickets leave `responded` (and, unless a
        condition needs them, organisation names) to `refresh` (see partial_read)."""
        groups = self.groups(refresh=True)
        for page in self.export(shard):
            names = self.organizations(page) if self.needs.organizations else self._organizations
            lookups = Lookups(groups, organizations=names)
            for raw in page:
                if raw.get("status") not in OPEN_STATUSES:
                    continue  # solved since the search index saw it
                ticket = self.rejects.read(
                    raw.get("id"), partial(self._candidate, raw, names, lookups)
                )
                if ticket is not None:
                    yield self._with_comment(ticket)

    def _candidate(
        self, raw: Mapping[str, Any], names: Mapping[int, str], lookups: Lookups
    ) -> Ticket:
        is_partial = partial_read(self.desk, self.needs, raw, names)
        return to_ticket(self.desk, raw, lookups, partial=is_partial)

    def refresh(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """The tickets re-read in full (responded, organisation, current tags and
        `updated_at`), 100 per call; those solved, closed or deleted since are left out."""
        read = {int(t.key): t for t in tickets}
        ids = list(read)
        fresh: list[Ticket] = []
        for start in range(0, len(ids), SHOW_MANY_MAX):
            raws, lookups = self.show_many(ids[start : start + SHOW_MANY_MAX])
            for raw in raws:
                if raw.get("status") not in OPEN_STATUSES:
                    continue
                ticket = self.rejects.read(
                    raw.get("id"), partial(to_ticket, self.desk, raw, lookups)
                )
                if ticket is not None:
                    fresh.append(self._with_comment(ticket, read.get(int(ticket.key))))
        log.debug("desk %s: refreshed %d of %d tickets", self.desk.name, len(fresh), len(tickets))
        return fresh

    # --- history (escalada.connectors.zendesk.history) ----------------------------

    def history(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """Audits only for the tickets whose metric set shows a pause (see history.py)."""
        return zendesk_history.read_history(self, tickets, self.metric_sets)

    def metric_sets(self, ids: Sequence[int]) -> dict[int, Mapping[str, Any]]:
        """The tickets' metric sets: those show_many brought this cycle, the others read
        with show_many (100 a call)."""
        missing = [i for i in dict.fromkeys(ids) if i not in self._metric_sets]
        for start in range(0, len(missing), SHOW_MANY_MAX):
            self.show_many(missing[start : start + SHOW_MANY_MAX])
        return {i: self._metric_sets[i] for i in ids if i in self._metric_sets}

    def window(self, *, since: datetime | None = None) -> Iterator[Ticket]:
        """The open tickets in scope and, with `since`, those solved since: each
        export page re-read in full from the ticket store (show_many, 100 a
        call: responded, organisation), then its audits."""
        self.groups(refresh=True)
        queries = [self.query()]
        if since is not None:
            queries.append(zendesk_history.done_query(self.desk, since))
        seen: set[int] = set()
        for text in queries:
            for page in self.export(query=text):
                ids = [int(r["id"]) for r in page if int(r["id"]) not in seen]
                seen.update(ids)
                for start in range(0, len(ids), SHOW_MANY_MAX):
                    raws, lookups = self.show_many(ids[start : start + SHOW_MANY_MAX])
                    tickets = [
                        self.rejects.read(r.get("id"), partial(to_ticket, self.desk, r, lookups))
                        for r in raws
                    ]
                    read = [self._with_comment(t) for t in tickets if t is not None]
                    for ticket in zendesk_history.read_history(self, read):  # exact
                        if zendesk_history.in_window(ticket, since):
                            yield ticket

    def _with_comment(self, ticket: Ticket, before: Ticket | None = None) -> Ticket:
        """The ticket with its latest comment where a reason_from trigger needs it
        (carried over from `before` when that read already fetched it)."""
        if not self.needs.latest_comment(ticket):
            return ticket
        if before is not None and self.needs.latest_comment(before):
            comment = before.latest_comment
        else:
            comment = self.latest_comment(int(ticket.key))
        return replace(ticket, latest_comment=comment)

    def latest_comment(self, ticket_id: int) -> str | None:
        """The latest public comment not written by escalada's own account."""
        mine = self.me()["id"]
        # Under cursor pagination Zendesk orders by `sort` and ignores `sort_order`
        # (Tickets API, "List Comments"): -created_at is newest first.
        data = self.request(
            "GET",
            f"tickets/{ticket_id}/comments.json",
            f"read comments of ticket {ticket_id}",
            params={"sort": "-created_at", "page[size]": 10},
        )
        for comment in data.get("comments") or []:
            if comment.get("public") and comment.get("author_id") != mine:
                return str(comment.get("body") or "")
        return None

    # --- writing ---------------------------------------------------------------

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        before = self.calls
        if ticket.revision is None:  # not read by candidates(): read it now
            raws, lookups = self.show_many([int(ticket.key)])
            if not raws:
                raise DeskError(self.desk.name, f"read ticket {ticket.key}", "no such ticket")
            ticket = to_ticket(self.desk, raws[0], lookups)
        group_ids = {name: gid for gid, name in self.groups().items()}
        writes = plan_writes(self.desk, ticket, actions, group_ids)
        stamp = ticket.revision
        written: list[str] = []
        for write in writes:
            if write.body:  # e.g. a marker already as wanted: nothing to send
                stamp = self._put(int(ticket.key), write.body, stamp)
            written.extend(write.actions)
        order = [a.type for a in actions if a.type in written]
        log.info("desk %s: ticket %s: wrote %s", self.desk.name, ticket.key, ", ".join(order))
        return ApplyResult(
            ticket=ticket.key, written=tuple(order), calls=self.calls - before, revision=stamp
        )

    def clear_pending(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """update_many with remove_tags, 100 tickets a call, and one read of the jobs
        (escalada.connectors.zendesk.bulk)."""
        return zendesk_bulk.clear_pending(self, tickets, sleep=self.sleep)

    def _put(self, ticket_id: int, body: Mapping[str, Any], stamp: str | None) -> str | None:
        """One safe update through zenpy; returns the new updated_at."""
        update = ZenpyTicket(id=ticket_id)
        for name, value in body.items():
            setattr(update, name, value)
        if self.desk.options.get("safe_update", True):
            update.safe_update = True
            update.updated_stamp = stamp
        with self.zenpy_call(f"update ticket {ticket_id}"):
            audit = self._writer().tickets.update(update)
        return getattr(getattr(audit, "ticket", None), "updated_at", None)

    def _writer(self) -> Zenpy:
        """This thread's zenpy client (see Concurrency in the module docstring)."""
        if threading.get_ident() == self._owner:
            return self.client
        client: Zenpy | None = getattr(self._writers, "client", None)
        if client is None:
            client = self._writers.client = self._zenpy()
        return client

    # --- check -----------------------------------------------------------------

    def check(self, policy: Policy | None = None) -> list[CheckItem]:
        return zendesk_check.check(self)

    # --- reconciler ------------------------------------------------------------

    def desired_config(self, policy: Policy) -> list[ConfigObject]:
        return zendesk_config.desired(self.desk, policy, now=self.clock())

    def current_config(self) -> list[ConfigObject]:
        return zendesk_config.current(self)

    def write_config(
        self, op: Literal["create", "update", "delete"], obj: ConfigObject
    ) -> ConfigObject:
        return zendesk_config.write(self, op, obj)
