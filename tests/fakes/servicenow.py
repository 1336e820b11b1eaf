"""A stateful fake of a ServiceNow instance's REST APIs, on `responses`.

Serves the Table API (`/api/now/table/<table>[/<sys_id>]`: GET, POST, PATCH,
DELETE), the Batch API (`/api/now/v1/batch`, which pysnc uses for queries
whose URL passes ~10,000 characters) and the OAuth token endpoint
(`/oauth_token.do`, client credentials), with the real shapes: `{"result": ...}`
bodies, values as strings, `sysparm_display_value=all` value/display pairs,
`X-Total-Count` on every list, a 10,000-row cap per call, and
`{"error": {"message", "detail"}, "status": "failure"}` errors.

Like a real instance it silently ignores unknown fields in a write (they are
recorded in `ignored` so tests can assert nothing was lost), derives
`priority` from impact x urgency through the `dl_u_priority` rows, and appends
`work_notes`/`comments` writes to `sys_journal_field`. Unlike a real instance
it refuses query terms, fields and parameters it does not know (a real one
drops them silently), so a connector sending them fails its test."""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests
import responses

from tests.fakes.base import FakeServer
from tests.fakes.base import Reply
from tests.fakes.base import reply
from tests.fakes.servicenow_query import QueryError
from tests.fakes.servicenow_query import parse
from tests.fakes.servicenow_render import Rendering
from tests.fakes.servicenow_tables import BASE_CHOICES
from tests.fakes.servicenow_tables import BASE_PRIORITY_LOOKUP
from tests.fakes.servicenow_tables import DICTIONARY_TABLE
from tests.fakes.servicenow_tables import SCHEMAS

URL = "https://acme.service-now.com"
USER = "escalada.integration"
PASSWORD = "s3cret-Pa55"
CLIENT_ID = "0123456789abcdef0123456789abcdef"
CLIENT_SECRET = "oauth-Secret-42"
MAX_LIMIT = 10_000
STAMP = "%Y-%m-%d %H:%M:%S"
LIST_PARAMS = {
    "sysparm_query",
    "sysparm_fields",
    "sysparm_limit",
    "sysparm_offset",
    "sysparm_display_value",
    "sysparm_exclude_reference_link",
    "sysparm_suppress_pagination_header",
    "sysparm_view",
    "sysparm_no_count",
}
WRITE_PARAMS = {
    "sysparm_display_value",
    "sysparm_exclude_reference_link",
    "sysparm_suppress_pagination_header",
    "sysparm_fields",
    "sysparm_input_display_value",
}
TABLE = r"/api/now/table/(?P<table>[a-z0-9_]+)"
RECORD = TABLE + r"/(?P<sys_id>[0-9a-f]{32})"
# The keys of one request inside a Batch API call (ServiceNow's rest_requests items).
BATCH_ITEM_KEYS = frozenset({"id", "method", "url", "headers", "body", "exclude_response_headers"})


def error(status: int, message: str, detail: str | None = None) -> Reply:
    return reply(status, {"error": {"message": message, "detail": detail}, "status": "failure"})


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    params: dict[str, list[str]]
    body: Any

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[0] if values else default


@dataclass(frozen=True)
class Patch:
    table: str
    sys_id: str
    body: dict[str, Any]


class ServiceNowFake(Rendering, FakeServer):
    contract = "servicenow"

    def __init__(
        self,
        mock: responses.RequestsMock,
        *,
        url: str = URL,
        incident_fields: dict[str, str] | None = None,
        now: datetime = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc),
    ) -> None:
        super().__init__(mock, url)
        self.schemas = {table: dict(columns) for table, columns in SCHEMAS.items()}
        self.schemas["incident"].update(incident_fields or {})
        self.tables: dict[str, dict[str, dict[str, str]]] = {t: {} for t in self.schemas}
        self.now = now
        self.user = USER
        self.password = PASSWORD
        self.tokens: dict[str, datetime] = {}
        self.token_lifetime = 1800
        self.patches: list[Patch] = []
        self.ignored: list[tuple[str, str, str]] = []  # (table, sys_id, field) dropped silently
        self.denied: set[tuple[str, str]] = set()  # (METHOD, table) refused with 403
        self.refuse_span_writes = False  # the "Schedule Item validate" business rule
        self.before_patch: Callable[[str, str], None] | None = None
        self.batched = 0  # requests served inside Batch API calls
        # Batch API limits (batch-api.md, "Size and processing limits"): 5 MB per item in
        # the request, 10 MB per item in the response, 30 s per batch (the REST Batch API
        # request timeout quota). The fake has no execution clock: `slow_batch_items`
        # makes the next N items run past the 30 s. An item past a limit cancels the
        # transaction; it and the items after it come back in unserviced_requests.
        self.batch_max_input = 5 * 1024 * 1024
        self.batch_max_output = 10 * 1024 * 1024
        self.slow_batch_items = 0
        self.unserviced = 0  # items returned unserviced
        # A test's hook to bend the batch reply into shapes ServiceNow does not document.
        self.mangle_batch: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.unchecked = False  # set with mangle_batch: replies not held to the contract
        self._numbers = itertools.count(10001)
        self._seed()
        for method, pattern, handler in (
            ("GET", TABLE, self._list),
            ("POST", TABLE, self._create),
            ("GET", RECORD, self._read),
            ("PATCH", RECORD, self._update),
            ("DELETE", RECORD, self._delete),
        ):
            self.route(method, pattern, self._adapt(handler), name=f"{method} {pattern}")
        self.route("POST", r"/api/now/v1/batch", self._adapt(self._batch), name="batch")
        self.route("POST", r"/oauth_token\.do", self._token, name="oauth")

    # --- state helpers for tests ---------------------------------------------

    def stamp(self) -> str:
        return self.now.astimezone(timezone.utc).strftime(STAMP)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def insert(self, table: str, **values: Any) -> str:
        """Write a row straight into the state (no HTTP call, no business rules)."""
        columns = self.schemas[table]
        unknown = set(values) - set(columns)
        assert not unknown, f"{table} has no columns {sorted(unknown)}"
        sys_id = str(values.pop("sys_id", "")) or uuid.uuid4().hex
        row = {name: "false" if kind == "bool" else "" for name, kind in columns.items()}
        row.update(sys_id=sys_id, sys_created_on=self.stamp(), sys_updated_on=self.stamp())
        row["sys_mod_count"] = "0"
        if table == "incident":
            row.update(number=f"INC{next(self._numbers):07d}", sys_class_name="incident")
        row.update({k: _text(v) for k, v in values.items()})
        self.tables[table][sys_id] = row
        if table == "incident":
            self._audit_state(table, row, "")
        return sys_id

    def _audit_state(self, table: str, row: dict[str, str], old: str) -> None:
        """An incident's state change, as the audit writes it (sys_audit)."""
        if row["state"] != old:
            self.insert(
                "sys_audit",
                tablename=table,
                fieldname="state",
                documentkey=row["sys_id"],
                oldvalue=old,
                newvalue=row["state"],
                user=self.user,
                # an insert is audited as of the record's creation
                **({} if old else {"sys_created_on": row["sys_created_on"]}),
            )

    def edit(self, table: str, sys_id: str, **values: Any) -> None:
        """A human editing a record in the UI: bumps sys_mod_count and sys_updated_on."""
        row = self.tables[table][sys_id]
        before = row.get("state", "")
        for name, value in values.items():
            if self.schemas[table][name] == "journal":
                self._journal(table, sys_id, name, _text(value), "jane.agent")
            else:
                row[name] = _text(value)
        self._touch(table, row)
        if table == "incident":
            self._audit_state(table, row, before)

    def rows(self, table: str) -> list[dict[str, str]]:
        return list(self.tables[table].values())

    def find(self, table: str, **values: str) -> list[dict[str, str]]:
        return [r for r in self.rows(table) if all(r[k] == v for k, v in values.items())]

    def journal(self, sys_id: str, element: str) -> list[str]:
        """Entries of a journal field of a record, oldest first."""
        entries = self.find("sys_journal_field", element_id=sys_id, element=element)
        return [e["value"] for e in entries]

    def issue_token(self) -> str:
        token = uuid.uuid4().hex
        self.tokens[token] = self.now + timedelta(seconds=self.token_lifetime)
        return token

    # --- plumbing -------------------------------------------------------------

    def _seed(self) -> None:
        self.insert("sys_user", user_name=USER, name="Escalada Integration", active=True)
        for name, element, value, label in BASE_CHOICES:
            self.insert("sys_choice", name=name, element=element, value=value, label=label)
        for impact, urgency, priority in BASE_PRIORITY_LOOKUP:
            self.insert(
                "dl_u_priority", impact=impact, urgency=urgency, priority=priority, active=True
            )
        for table, columns in self.schemas.items():
            if table != "incident":
                continue
            for column in columns:
                self.insert(
                    "sys_dictionary",
                    name=DICTIONARY_TABLE.get(column, "incident"),
                    element=column,
                    internal_type=columns[column].split(":")[0],
                )

    def _adapt(self, handler: Callable[[Req, dict[str, str]], Reply]) -> Any:
        def serve(request: requests.PreparedRequest, match: Any) -> Reply:
            parts = urlsplit(request.url or "")
            raw = request.body
            if isinstance(raw, bytes):
                raw = raw.decode("utf-8")
            assert raw is None or isinstance(raw, str), "the fake reads whole bodies"
            header = request.headers.get("Content-Type")
            content_type = header.decode() if isinstance(header, bytes) else header
            if raw and "json" not in (content_type or ""):
                return error(400, "Invalid content type", content_type)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return error(
                    400, "Exception while reading request", "The payload is not valid JSON."
                )
            params = parse_qs(parts.query, keep_blank_values=True)
            return handler(Req(request.method or "", parts.path, params, body), match.groupdict())

        return serve

    def error_body(self, status: int, message: str | None = None) -> Any:
        messages = {
            401: ("User Not Authenticated", "Required to provide Auth information"),
            403: ("User Not Authorized", "ACL restricts this operation"),
            404: ("No Record found", "Record doesn't exist or ACL restricts the record retrieval"),
            429: ("Rate limit exceeded", "Too many requests for this user; see Retry-After"),
        }
        text, detail = messages.get(status, (message or f"HTTP {status}", None))
        return {"error": {"message": text, "detail": detail}, "status": "failure"}

    def refuse(self, request: requests.PreparedRequest) -> Reply | None:
        if urlsplit(request.url or "").path == "/oauth_token.do":
            return None
        header = str(request.headers.get("Authorization") or "")
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = password = ""
            if (user, password) == (self.user, self.password):
                return None
        elif header.startswith("Bearer "):
            expires = self.tokens.get(header[7:])
            if expires is not None and self.now < expires:
                return None
        return reply(401, self.error_body(401))

    # --- Table API --------------------------------------------------------------

    def _check(self, req: Req, table: str, allowed: set[str]) -> Reply | None:
        if table not in self.schemas:
            return error(400, "Invalid table " + table, None)
        unknown = set(req.params) - allowed
        if unknown:
            return error(400, f"fake: unsupported parameters {sorted(unknown)}")
        mode = req.param("sysparm_display_value", "false")
        if mode not in ("true", "false", "all"):
            return error(400, f"fake: bad sysparm_display_value {mode!r}")
        if (req.method, table) in self.denied:
            return error(403, "User Not Authorized", f"ACL restricts {req.method} on {table}")
        return None

    def _list(self, req: Req, match: dict[str, str]) -> Reply:
        table = match["table"]
        refused = self._check(req, table, LIST_PARAMS)
        if refused:
            return refused
        try:
            query = parse(req.param("sysparm_query", "") or "")
            fields = self._fields(table, req.param("sysparm_fields"))
            for name in query.fields:
                self._walk(table, name)
            limit = int(req.param("sysparm_limit", str(MAX_LIMIT)) or MAX_LIMIT)
            offset = int(req.param("sysparm_offset", "0") or 0)
        except (QueryError, KeyError, ValueError) as problem:
            return error(400, f"fake: {problem}")
        if limit < 1 or offset < 0:
            return error(400, f"fake: bad sysparm_limit/offset {limit}/{offset}")
        rows = [r for r in self.tables[table].values() if query.matches(self._getter(table, r))]
        rows = query.sort(rows, lambda row, name: self._value(table, row, name))  # type: ignore[assignment,arg-type]  # sort keeps the row dicts
        page = rows[offset : offset + min(limit, MAX_LIMIT)]
        result = [self._render(table, row, fields, req) for row in page]
        return reply(200, {"result": result}, {"X-Total-Count": str(len(rows))})

    def _read(self, req: Req, match: dict[str, str]) -> Reply:
        table, sys_id = match["table"], match["sys_id"]
        refused = self._check(req, table, LIST_PARAMS)
        if refused:
            return refused
        row = self.tables[table].get(sys_id)
        if row is None:
            return reply(404, self.error_body(404))
        try:
            fields = self._fields(table, req.param("sysparm_fields"))
        except KeyError as problem:
            return error(400, f"fake: {problem}")
        return reply(200, {"result": self._render(table, row, fields, req)})

    def _create(self, req: Req, match: dict[str, str]) -> Reply:
        table = match["table"]
        refused = self._check(req, table, WRITE_PARAMS) or self._write_refused(req, table)
        if refused:
            return refused
        if not isinstance(req.body, dict):
            return error(400, "Exception while reading request", "expected a JSON object")
        refused = self._sla_refused(table, {}, req.body)
        if refused:
            return refused
        sys_id = self.insert(table)
        row = self.tables[table][sys_id]
        row["sys_mod_count"] = "0"
        self._assign(table, row, req.body)
        return reply(201, {"result": self._render(table, row, self._fields(table, None), req)})

    def _update(self, req: Req, match: dict[str, str]) -> Reply:
        table, sys_id = match["table"], match["sys_id"]
        refused = self._check(req, table, WRITE_PARAMS) or self._write_refused(req, table)
        if refused:
            return refused
        row = self.tables[table].get(sys_id)
        if row is None:
            return reply(404, self.error_body(404))
        if not isinstance(req.body, dict):
            return error(400, "Exception while reading request", "expected a JSON object")
        refused = self._sla_refused(table, row, req.body)
        if refused:
            return refused
        if self.before_patch is not None:
            self.before_patch(table, sys_id)
        self.patches.append(Patch(table, sys_id, dict(req.body)))
        before = row.get("state", "")
        self._assign(table, row, req.body)
        self._touch(table, row)
        if table == "incident":
            self._audit_state(table, row, before)
        return reply(200, {"result": self._render(table, row, self._fields(table, None), req)})

    def _delete(self, req: Req, match: dict[str, str]) -> Reply:
        table, sys_id = match["table"], match["sys_id"]
        refused = self._check(req, table, set()) or self._write_refused(req, table)
        if refused:
            return refused
        if self.tables[table].pop(sys_id, None) is None:
            return reply(404, self.error_body(404))
        return 204, {}, ""

    def _sla_refused(self, table: str, row: dict[str, Any], values: dict[str, Any]) -> Reply | None:
        """An SLA definition without what the SLA reference makes mandatory
        (ServiceNowDocs fluent-sla-api.md): a schedule under schedule_source
        sla_definition (the default; 24x7 is no_schedule), a timezone under
        timezone_source sla.timezone. Refused as a data policy refuses a write
        (403 Operation Failed); a real instance may instead keep a broken SLA."""
        if table != "contract_sla":
            return None
        merged = {**row, **{k: str(v) for k, v in values.items()}}
        source = merged.get("schedule_source") or "sla_definition"
        if source not in ("sla_definition", "task_field", "no_schedule"):
            return error(403, "Operation Failed", f"Invalid schedule_source {source}")
        if source == "sla_definition" and not merged.get("schedule"):
            return error(403, "Operation Failed", "Data Policy Exception: Schedule is mandatory")
        if merged.get("timezone_source") == "sla.timezone" and not merged.get("timezone"):
            return error(403, "Operation Failed", "Data Policy Exception: Timezone is mandatory")
        return None

    def _write_refused(self, req: Req, table: str) -> Reply | None:
        if table == "cmn_schedule_span" and self.refuse_span_writes:
            verb = {"POST": "insert", "PATCH": "update", "DELETE": "delete"}[req.method]
            return error(403, "Operation Failed", f"Error during {verb} of cmn_schedule_span")
        return None

    def _assign(self, table: str, row: dict[str, str], body: dict[str, Any]) -> None:
        columns = self.schemas[table]
        for name, value in body.items():
            kind = columns.get(name)
            if kind is None or kind == "ro":
                self.ignored.append((table, row["sys_id"], name))
            elif kind == "journal":
                if _text(value):
                    self._journal(table, row["sys_id"], name, _text(value), self._author())
            else:
                row[name] = _text(value)
        if table == "incident":
            derived = self._lookup(row["impact"], row["urgency"])
            row["priority"] = derived or row["priority"]

    def _touch(self, table: str, row: dict[str, str]) -> None:
        row["sys_mod_count"] = str(int(row["sys_mod_count"] or 0) + 1)
        row["sys_updated_on"] = self.stamp()

    def _lookup(self, impact: str, urgency: str) -> str | None:
        for rule in self.tables["dl_u_priority"].values():
            if rule["active"] == "true" and (rule["impact"], rule["urgency"]) == (impact, urgency):
                return rule["priority"]
        return None

    def _journal(self, table: str, sys_id: str, element: str, value: str, author: str) -> None:
        self.insert(
            "sys_journal_field",
            element=element,
            element_id=sys_id,
            name=table,
            value=value,
            sys_created_by=author,
        )

    def _author(self) -> str:
        return self.user

    # --- Batch API and OAuth ----------------------------------------------------

    def _batch(self, req: Req, match: dict[str, str]) -> Reply:
        body = req.body
        if (
            not isinstance(body, dict)
            or set(body) != {"batch_request_id", "rest_requests"}
            or not isinstance(body["rest_requests"], list)
        ):
            return error(400, "fake: batch body needs batch_request_id and rest_requests")
        for item in body["rest_requests"]:
            if not isinstance(item, dict) or not (
                {"id", "method", "url"} <= set(item) <= BATCH_ITEM_KEYS
            ):
                return error(400, f"fake: a batched request has {sorted(BATCH_ITEM_KEYS)} only")
        serviced: list[dict[str, Any]] = []
        unserviced: list[str] = []
        for item in body["rest_requests"]:
            if unserviced:  # the transaction was cancelled: nothing after it runs
                unserviced.append(str(item["id"]))
                continue
            parts = urlsplit(item["url"])
            raw = base64.b64decode(item["body"]).decode() if item.get("body") else ""
            if len(raw.encode()) > self.batch_max_input:
                unserviced.append(str(item["id"]))
                continue
            inner = Req(
                item["method"],
                parts.path,
                parse_qs(parts.query, keep_blank_values=True),
                json.loads(raw) if raw else None,
            )
            if self.slow_batch_items > 0:
                self.slow_batch_items -= 1
                unserviced.append(str(item["id"]))
                continue
            status, headers, text = self._dispatch(inner)
            if not self.unchecked:  # a batched item is a Table API call: held to its contract
                self.observe(item["method"], f"{URL}{item['url']}", raw or None, (status, {}, text))
            if len(text.encode()) > self.batch_max_output:
                unserviced.append(str(item["id"]))
                continue
            self.batched += 1
            serviced.append(
                {
                    "id": item["id"],
                    "status_code": status,
                    "status_text": "OK" if status < 400 else "Error",
                    "headers": [{"name": k, "value": v} for k, v in headers.items()],
                    "body": base64.b64encode(text.encode()).decode(),
                    "execution_time": 1,
                }
            )
        result = {
            "batch_request_id": str(body.get("batch_request_id")),
            "serviced_requests": serviced,
            "unserviced_requests": unserviced,
        }
        self.unserviced += len(unserviced)
        if self.mangle_batch is not None:
            result = self.mangle_batch(result)
        return reply(200, result)

    def _dispatch(self, req: Req) -> Reply:
        for method, pattern, handler in (
            ("GET", RECORD, self._read),
            ("GET", TABLE, self._list),
            ("PATCH", RECORD, self._update),
        ):
            found = re.fullmatch(pattern, req.path)
            if req.method == method and found:
                return handler(req, found.groupdict())
        return error(400, f"fake: batch cannot serve {req.method} {req.path}")

    def _token(self, request: requests.PreparedRequest, match: Any) -> Reply:
        raw = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        form = {k: v[0] for k, v in parse_qs(raw).items()}
        if form.get("grant_type") != "client_credentials":
            return reply(400, {"error": "unsupported_grant_type"})
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return reply(401, {"error_description": "access_denied", "error": "server_error"})
        token = self.issue_token()
        return reply(
            200,
            {
                "access_token": token,
                "scope": "useraccount",
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
            },
        )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
