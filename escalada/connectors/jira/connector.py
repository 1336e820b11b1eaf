"""Jira Cloud / Jira Service Management, through the `jira` library.

Choices (the docs page docs/desks/jira.md explains them for users):

- REST v2. Descriptions and comment bodies are plain strings there; v3 speaks
  Atlassian Document Format both ways, which would need a converter for every
  description read and note written. Every endpoint used exists under v2.
- The client is built with `max_retries=0` (the library's ResilientSession
  sleeps for real) and `get_server_info=False`; the shared ResilientAdapter is
  mounted on its session, then serverInfo is read through it. The library's own
  start-up call would go out before the adapter exists: no timeout, no 429
  handling, not counted.
- Candidates: POST search/jql with `(<scope>) AND statusCategory != Done`,
  oldest first, only the fields a Ticket needs, `maxResults=5000` (the API's
  ceiling). The server clamps a page to what the requested fields allow and
  says nothing about it, so asking the ceiling is never more calls than the
  library's fixed 100; pages follow `nextPageToken`, absent on the last page.
  `--shard` filters client-side: JQL cannot hash keys.
- Writes: one PUT issue carrying priority, the team (field, components or
  assignee), the marker labels as add/remove ops and one comment in
  `update.comment` (editIssue's `update`; the reference's form is
  `[{"add": {"body": ...}}]`). A comment added so is public, and the reference
  documents no comment `properties` there, so a JSM internal note is one more
  call after the PUT: the JSM service desk API (`comment_api: servicedesk`, the
  default) or the platform comment API with the `sd.public.comment` property
  (`platform`); with `comment_api: edit` (projects without JSM) the note rides
  in the PUT. If a call after the PUT fails, the marker labels are put back, so
  the next cycle announces the level again rather than never.
- Concurrency: Jira has no conditional issue update. Before writing, escalada's
  labels as read are compared with the current ones, re-read with Bulk fetch
  issues 100 candidates at a time (escalada.connectors.jira.batch): search
  results lag behind recent writes and another runner may have moved the
  ticket, so a stale marker is refused with ConflictError and no level is
  announced twice. Label ops touch only escalada's tokens, so labels people
  change meanwhile survive; summary and description are never sent; priority
  and team are last-writer-wins.
- Concurrent writes: the runner may call `apply` from several threads at once
  (DeskKind.concurrent_writes). The requests share the library's session and
  the adapter on it (escalada.connectors.http: per-request deadlines, counters
  under a lock); the jira library keeps no state per call; the marker guard
  and the user lookups of team_mode assignee are under locks.
- clear_pending: one bulk edit (`POST bulk/issues/fields`, labels REMOVE, up to
  1,000 issues, an asynchronous task polled at `bulk/queue/{taskId}`) when the
  account has the global Make bulk changes permission; else one PUT of the
  label op per ticket.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any
from typing import Literal

import requests
from jira import JIRA
from jira.exceptions import JIRAError

from escalada.connectors.base import REAL
from escalada.connectors.base import ApplyResult
from escalada.connectors.base import CheckItem
from escalada.connectors.base import ConfigObject
from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.connectors.http import ResilientAdapter
from escalada.connectors.http import error_for_status
from escalada.connectors.http import mount_resilience
from escalada.connectors.jira import batch
from escalada.connectors.jira import check as jira_check
from escalada.connectors.jira import config as jira_config
from escalada.connectors.jira import history
from escalada.connectors.jira.client import Hints
from escalada.connectors.jira.options import JiraOptions
from escalada.connectors.jira.tickets import candidate_jql
from escalada.connectors.jira.tickets import plan_write
from escalada.connectors.jira.tickets import read_fields
from escalada.connectors.jira.tickets import to_ticket
from escalada.connectors.records import Rejects
from escalada.connectors.session import desk_secrets
from escalada.engine.readneeds import NO_POLICY
from escalada.engine.readneeds import ReadNeeds
from escalada.errors import ConflictError
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.ticket import Action
from escalada.ticket import Status
from escalada.ticket import Ticket

log = logging.getLogger("escalada.jira")

REST = "/rest/api/2"
SERVICEDESK = "/rest/servicedeskapi"
SEARCH_PAGE = 5000  # search/jql's documented ceiling; the server clamps it per fields asked

HINT_401 = (
    "the credentials were refused: check the email and API token named in the Desk's auth; "
    "the token is an Atlassian API token from id.atlassian.com, not a password"
)
READ_HINTS: Hints = {
    400: "Jira refused the candidate query: try spec.scope in Jira's issue search",
    403: "the account needs Browse projects on the scope's projects",
}
EDIT_HINTS: Hints = {
    # Jira answers 400, not 403, when the account may not edit a field (editIssue).
    400: "Jira refused a mapped value (priority, team field, group, component or user) or a "
    "field the account may not edit (it needs Edit issues, and Assign issues for team_mode "
    "assignee): run `escalada desks check`",
    403: "the account needs Edit issues (and Assign issues for team_mode assignee)",
    404: "the issue is gone or the account cannot see it",
}
NOTE_HINTS: Hints = {
    403: "the account needs Add comments; internal notes need a JSM agent (licensed) account",
    404: "not a JSM request: for a project without JSM set spec.options.comment_api: platform",
}


def labels_after(tags: frozenset[str], edit: Mapping[str, Any]) -> frozenset[str]:
    """The labels an edit's label ops leave on an issue that had `tags`."""
    labels = set(tags)
    for op in (edit.get("update") or {}).get("labels") or ():
        for verb, value in op.items():
            if verb == "add":
                labels.add(str(value))
            elif verb == "remove":
                labels.discard(str(value))
    return frozenset(labels)


def jira_detail(response: requests.Response | None, fallback: str | None = None) -> str:
    """Jira's error text: errorMessages and per-field errors, else the body."""
    if response is None:
        return fallback or ""
    try:
        data = response.json()
    except ValueError:
        return (response.text or fallback or "").strip()
    if not isinstance(data, dict):
        return str(data)
    messages = [str(m) for m in data.get("errorMessages") or ()]
    errors = data.get("errors") or {}
    if isinstance(errors, dict):
        messages += [f"{name}: {text}" for name, text in errors.items()]
    if not messages and data.get("errorMessage"):  # the service desk API's shape
        messages.append(str(data["errorMessage"]))
    return "; ".join(messages) or str(data.get("message") or fallback or "")


class JiraConnector:
    """A Jira Cloud site; see the module docstring for what it reads and writes."""

    def __init__(
        self,
        desk: Desk,
        *,
        needs: ReadNeeds = NO_POLICY,
        wiring: Wiring = REAL,
    ) -> None:
        if not desk.url:
            raise EscaladaError(
                f"desk {desk.name!r} has no url",
                hint="add spec.url, e.g. https://acme.atlassian.net",
            )
        self.desk = desk
        self.options = JiraOptions.of(desk)
        self.server = desk.url.rstrip("/")
        self.rejects = Rejects(desk.name)  # issues that do not read as tickets
        self._wiring = wiring
        self._fields = read_fields(desk, self.options, comments=needs.comments)
        self._jira: JIRA | None = None
        self._adapter: ResilientAdapter | None = None
        self.accounts: dict[str, str] = {}  # team_mode assignee: Desk.teams value -> accountId
        self._ids: dict[str, str] = {}  # issue key -> id, from the searches (the changelog's ids)
        self._statuses: dict[str, Status] | None = None
        self._guard = batch.MarkerGuard(self)
        self._bulk_change: bool | None = None  # the global Make bulk changes permission
        self.budget = wiring.budget  # the account's (the runner sizes its writes by it)
        self._lookups = threading.Lock()  # account_id, from concurrent writes

    def __repr__(self) -> str:
        return f"JiraConnector(desk={self.desk.name!r}, url={self.server!r})"

    @property
    def calls(self) -> int:
        return self._adapter.calls if self._adapter is not None else 0

    def refresh(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """Candidates are read in full, never partial: nothing to re-read."""
        return list(tickets)

    def close(self) -> None:
        if self._jira is not None:
            self._jira.close()  # type: ignore[no-untyped-call]

    # --- transport ------------------------------------------------------------

    def client(self) -> JIRA:
        """The library client, built on first use (constructing the connector makes no call)."""
        if self._jira is not None:
            return self._jira
        email, token = desk_secrets(
            self.desk,
            ("email", "token"),
            environ=self._wiring.environ,
            hint="jira desks need auth: {email: {env: JIRA_EMAIL}, token: {env: JIRA_API_TOKEN}}",
        )
        client = JIRA(
            self.server,
            basic_auth=(email, token),
            options={"rest_api_version": "2"},
            max_retries=0,
            get_server_info=False,
        )
        self._adapter = mount_resilience(
            client._session,
            self.desk.name,
            sleep=self._wiring.sleep,
            jitter=self._wiring.jitter,
            budget=self._wiring.budget,
        )
        info = self.call("read server info", client.server_info)
        deployment = info.get("deploymentType")
        if deployment != "Cloud":
            raise DeskError(
                self.desk.name,
                "read server info",
                f"deployment type is {deployment!r}",
                hint="escalada's jira desk speaks to Jira Cloud only (it reads with search/jql)",
            )
        client.deploymentType = deployment  # what get_server_info=True would have set
        client._version = tuple(info.get("versionNumbers") or (0, 0, 0))
        self._jira = client
        return client

    def error(self, operation: str, error: JIRAError, hints: Hints | None = None) -> DeskError:
        status = error.status_code
        detail = jira_detail(error.response, error.text)
        if status == 409:
            return ConflictError(
                self.desk.name,
                operation,
                f"HTTP 409: {detail}",
                status=409,
                hint="Jira reported a conflicting update; the next cycle re-reads the issue",
            )
        hint = (hints or {}).get(status or 0) or (HINT_401 if status == 401 else None)
        return error_for_status(self.desk.name, operation, status, detail, hint=hint)

    def call(self, operation: str, fn: Callable[[], Any], hints: Hints | None = None) -> Any:
        """A library call, its JIRAError turned into one clear DeskError."""
        try:
            return fn()
        except JIRAError as error:
            raise self.error(operation, error, hints) from None

    def request(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        hints: Hints | None = None,
    ) -> requests.Response:
        """A raw call on the client's session, for what the library does not wrap."""
        session = self.client()._session
        if path.startswith("https://") or path.startswith("http://"):
            url = path
        elif path.startswith("/rest/"):
            url = self.server + path
        else:
            url = f"{self.server}{REST}/{path}"
        data = None if body is None else json.dumps(body)
        try:
            return session.request(method, url, params=params, data=data)
        except JIRAError as error:
            raise self.error(operation, error, hints) from None

    def get_json(self, path: str, operation: str, **kwargs: Any) -> Any:
        response = self.request("GET", path, operation, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise DeskError(self.desk.name, operation, "the reply is not JSON") from None

    # --- runner ---------------------------------------------------------------

    def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
        for page in self._pages(candidate_jql(self.desk), shard):
            yield from page

    def _pages(self, jql: str, shard: Shard | None = None) -> Iterator[list[Ticket]]:
        client = self.client()
        token: str | None = None
        while True:
            page = self.call("search issues", self._page(client, jql, token), READ_HINTS)
            tickets = []
            for issue in page.get("issues") or ():
                if shard is None or shard.owns(str(issue["key"])):
                    self._ids[str(issue["key"])] = str(issue.get("id"))
                    self._guard.read(str(issue["key"]))
                    ticket = self.rejects.read(issue["key"], partial(self._ticket, issue))
                    if ticket is not None:
                        tickets.append(ticket)
            yield tickets
            token = page.get("nextPageToken")
            if not token or page.get("isLast") is True:
                return

    def _ticket(self, issue: Mapping[str, Any]) -> Ticket:
        return to_ticket(
            issue, desk=self.desk, options=self.options, server=self.server, accounts=self.accounts
        )

    # --- history (escalada.connectors.jira.history) -----------------------------

    def history(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        return history.read_history(self, tickets, self._ids)

    def window(self, *, since: datetime | None = None) -> Iterator[Ticket]:
        jql = candidate_jql(self.desk)
        if since is not None:
            jql = history.window_jql(jql, since)
        return history.window(self, since, self._pages(jql))

    def status_kinds(self) -> dict[str, Status]:
        if self._statuses is None:
            self._statuses = history.statuses(self)
        return self._statuses

    def post_json(self, path: str, operation: str, body: Any) -> Any:
        response = self.request("POST", path, operation, body=body, hints=READ_HINTS)
        if response.status_code >= 400:
            detail = jira_detail(response)
            raise error_for_status(self.desk.name, operation, response.status_code, detail)
        try:
            return response.json()
        except ValueError:
            raise DeskError(self.desk.name, operation, "the reply is not JSON") from None

    def _page(self, client: JIRA, jql: str, token: str | None) -> Callable[[], Any]:
        return lambda: client.enhanced_search_issues(
            jql,
            nextPageToken=token,
            maxResults=SEARCH_PAGE,
            fields=list(self._fields),  # the library rewrites this list in place
            json_result=True,
            use_post=True,  # the scope can be long; POST keeps it out of the URL
        )

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        before = self.calls
        write = plan_write(
            ticket, actions, desk=self.desk, options=self.options, account_id=self.account_id
        )
        if write.edit is not None or write.note is not None or write.reply is not None:
            self._guard.check(ticket)  # batched: one call per 100 candidates
        if write.edit is not None:
            operation = f"edit {ticket.key}"
            self.request("PUT", f"issue/{ticket.key}", operation, body=write.edit, hints=EDIT_HINTS)
            self._guard.wrote(ticket.key, labels_after(ticket.tags, write.edit))
        try:
            if write.note is not None:
                self.comment(ticket.key, write.note, public=False)
            if write.reply is not None:
                self.comment(ticket.key, write.reply, public=True)
        except EscaladaError:
            if write.undo is not None:
                self._undo(ticket.key, write.undo)
                self._guard.wrote(ticket.key, ticket.tags)
            raise
        return ApplyResult(ticket.key, write.written, self.calls - before)

    def clear_pending(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """PendingClearing: bulk edits of 1,000 (escalada.connectors.jira.batch)."""
        if not tickets:
            return []
        bulk = self._bulk_change
        if bulk is None:
            bulk = self.permissions([batch.BULK_CHANGE])[batch.BULK_CHANGE]
        self._guard.messages_sent()
        done = batch.clear_pending(self, tickets, self._ids, bulk=bulk, sleep=self._wiring.sleep)
        for ticket in done:
            self._guard.wrote(ticket.key, ticket.tags)
        return done

    def permissions(self, keys: Sequence[str], *, project: str | None = None) -> dict[str, bool]:
        """Which of `keys` the account holds (in `project`, else in any project): one
        mypermissions read. The global Make bulk changes answer is kept: global
        permissions are unaffected by the project context, so a `desks check` that
        asked it leaves clear_pending nothing to ask."""
        params = {"permissions": ",".join(keys)}
        if project:
            params["projectKey"] = project
        reply = self.get_json("mypermissions", "read permissions", params=params)
        granted = (reply.get("permissions") if isinstance(reply, dict) else None) or {}
        held = {key: bool((granted.get(key) or {}).get("havePermission")) for key in keys}
        if batch.BULK_CHANGE in held:
            self._bulk_change = held[batch.BULK_CHANGE]
        return held

    def put(self, path: str, operation: str, body: Any) -> None:
        self.request("PUT", path, operation, body=body, hints=EDIT_HINTS)

    def _undo(self, key: str, body: Mapping[str, Any]) -> None:
        try:
            self.request("PUT", f"issue/{key}", f"restore the marker of {key}", body=body)
        except EscaladaError as error:
            log.warning("%s: its note failed and the marker could not be put back: %s", key, error)

    def comment(self, key: str, body: str, *, public: bool) -> None:
        kind = "reply" if public else "internal note"
        operation = f"add {kind} to {key}"
        if self.options.comment_api == "servicedesk":
            self.request(
                "POST",
                f"{SERVICEDESK}/request/{key}/comment",
                operation,
                body={"body": body, "public": public},
                hints=NOTE_HINTS,
            )
            return
        client = self.client()
        self.call(
            operation, lambda: client.add_comment(key, body, is_internal=not public), NOTE_HINTS
        )

    def account_id(self, who: str) -> str:
        """team_mode assignee: a Desk.teams value (email or display name) -> accountId, once."""
        with self._lookups:
            return self._account_id(who)

    def _account_id(self, who: str) -> str:
        if who not in self.accounts:
            operation = f"look up Jira user {who!r}"
            users = self.get_json("user/search", operation, params={"query": who})
            active = [
                u
                for u in users
                if u.get("active", True) and u.get("accountType", "atlassian") == "atlassian"
            ]
            keys = ("emailAddress", "displayName", "accountId")
            exact = [
                u for u in active if who.casefold() in {str(u.get(k, "")).casefold() for k in keys}
            ]
            found = exact or active
            if len(found) != 1:
                raise EscaladaError(
                    f"desk {self.desk.name!r}: {len(found)} active Jira users match {who!r}",
                    hint="map the team to the user's email, exact display name or accountId",
                )
            self.accounts[who] = str(found[0]["accountId"])
        return self.accounts[who]

    # --- checks and reconciler ------------------------------------------------

    def check(self, policy: Policy | None = None) -> list[CheckItem]:
        return jira_check.check(self)

    def desired_config(self, policy: Policy) -> list[ConfigObject]:
        return jira_config.desired(self.desk, self.options, policy)

    def current_config(self) -> list[ConfigObject]:
        return jira_config.current(self)

    def write_config(
        self, op: Literal["create", "update", "delete"], obj: ConfigObject
    ) -> ConfigObject:
        return jira_config.write(self, op, obj)
