"""The Jira fake's search/jql route, and the slice of JQL it understands: what
escalada generates and the scopes its tests write.

    clause   := field ("=" | "!=") value | date (">=" | "<=") "yyyy/MM/dd HH:mm"
    field    := project | issuetype | status | statusCategory | labels | priority
    date     := created | updated | resolved   (compared in UTC: the fake's user zone)
    query    := [expr] [ORDER BY field [ASC|DESC] ("," field [ASC|DESC])*]
    expr     := and ("OR" and)*,  and := term ("AND" term)*,  term := "(" expr ")" | clause

Errors carry Jira's messages; an empty query or one with only ORDER BY is
"unbounded", which search/jql refuses."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone
from typing import TYPE_CHECKING
from typing import Any

import requests

from tests.fakes.base import Reply
from tests.fakes.base import body
from tests.fakes.base import first
from tests.fakes.base import query
from tests.fakes.base import reply
from tests.fakes.jira_admin import REST
from tests.fakes.jira_admin import SYSTEM_FIELDS
from tests.fakes.jira_admin import errors

if TYPE_CHECKING:
    from tests.fakes.jira import FakeIssue

Issue = Mapping[str, Any]  # {"key": ..., "project": ..., "fields": {...}}
Predicate = Callable[[Issue], bool]

UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
CATEGORY_NAMES = {"new": "to do", "indeterminate": "in progress", "done": "done"}
ORDERABLE = ("created", "updated", "key")
TOKEN = re.compile(
    r'\s*(?:(?P<punct>>=|<=|!=|=|\(|\)|,)|"(?P<dq>[^"]*)"|\'(?P<sq>[^\']*)\'|(?P<word>[^\s=!<>(),"\']+))'
)


class JqlError(ValueError):
    """A query Jira would answer with 400; the message is Jira's."""


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    quoted: bool = False

    def keyword(self, word: str) -> bool:
        return not self.quoted and self.text.upper() == word


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            raise JqlError(f"Error in the JQL Query: the character at {position} is unexpected.")
        position = match.end()
        quoted = match["dq"] if match["dq"] is not None else match["sq"]
        if quoted is not None:
            tokens.append(Token(quoted, quoted=True))
        else:
            tokens.append(Token(match["punct"] or match["word"]))
    return tokens


def _values(issue: Issue, field: str) -> list[str]:
    fields = issue["fields"]
    if field == "project":
        return [issue["project"]]
    if field in ("issuetype", "status", "priority"):
        value = fields.get(field) or {}
        return [str(value.get("name", "")), str(value.get("id", ""))]
    if field == "statuscategory":
        category = (fields.get("status") or {}).get("statusCategory") or {}
        key = str(category.get("key", ""))
        return [key, CATEGORY_NAMES.get(key, "")]
    return [str(label) for label in fields.get("labels") or ()]


FIELDS = ("project", "issuetype", "status", "statuscategory", "labels", "priority")
DATES = {"created": "created", "updated": "updated", "resolved": "resolutiondate"}
DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")


def _date_value(text: str) -> datetime:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{text}' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )


def _date_clause(field: str, op: str, text: str) -> Predicate:
    if op not in (">=", "<="):
        raise JqlError(f"Error in the JQL Query: Expecting operator but got '{op}'.")
    bound = _date_value(text)

    def matches(issue: Issue) -> bool:
        raw = issue["fields"].get(DATES[field])
        if not raw:
            return False
        moment = datetime.strptime(str(raw), "%Y-%m-%dT%H:%M:%S.%f%z")
        return moment >= bound if op == ">=" else moment <= bound

    return matches


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.at = 0

    def peek(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise JqlError(
                "Error in the JQL Query: Expecting more of the query but reached the end."
            )
        self.at += 1
        return token

    def parse(self) -> tuple[Predicate | None, list[tuple[str, bool]]]:
        predicate = None
        token = self.peek()
        if token is not None and not token.keyword("ORDER"):
            predicate = self.expr()
        order = self.order()
        if self.peek() is not None:
            raise JqlError(
                f"Error in the JQL Query: Expecting end of query but got '{self.take().text}'."
            )
        return predicate, order

    def expr(self) -> Predicate:
        parts = [self.conjunction()]
        while (token := self.peek()) is not None and token.keyword("OR"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda i: any(p(i) for p in parts))

    def conjunction(self) -> Predicate:
        parts = [self.term()]
        while (token := self.peek()) is not None and token.keyword("AND"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda i: all(p(i) for p in parts))

    def term(self) -> Predicate:
        token = self.take()
        if token.text == "(" and not token.quoted:
            inner = self.expr()
            if self.take().text != ")":
                raise JqlError("Error in the JQL Query: Expecting ')' before the end of the query.")
            return inner
        field = token.text.lower()
        if field in DATES:
            op = self.take().text
            return _date_clause(field, op, self.take().text)
        if field not in FIELDS:
            raise JqlError(
                f"Field '{token.text}' does not exist or you do not have permission to view it."
            )
        op = self.take().text
        if op not in ("=", "!="):
            raise JqlError(f"Error in the JQL Query: Expecting operator but got '{op}'.")
        value = self.take().text.casefold()

        def matches(issue: Issue) -> bool:
            values = [v.casefold() for v in _values(issue, field)]
            if op == "=":
                return value in values
            # Jira's `labels != x` leaves out issues that have no labels at all.
            return bool(values) and value not in values and values != [""]

        return matches

    def order(self) -> list[tuple[str, bool]]:
        token = self.peek()
        if token is None:
            return []
        if not token.keyword("ORDER"):
            raise JqlError(
                f"Error in the JQL Query: Expecting 'AND' or 'OR' but got '{token.text}'."
            )
        self.take()
        if not self.take().keyword("BY"):
            raise JqlError("Error in the JQL Query: Expecting 'BY' after 'ORDER'.")
        order = []
        while True:
            field = self.take().text.lower()
            if field not in ORDERABLE:
                raise JqlError(f"Not able to sort using field '{field}'.")
            ascending = True
            if (token := self.peek()) is not None and (
                token.keyword("ASC") or token.keyword("DESC")
            ):
                ascending = self.take().keyword("ASC")
            order.append((field, ascending))
            if (token := self.peek()) is None or token.text != ",":
                return order
            self.take()


def compile_jql(text: str) -> tuple[Predicate, list[tuple[str, bool]]]:
    """A predicate over fake issues and the sort keys; JqlError for what Jira refuses."""
    predicate, order = Parser(text or "").parse()
    if predicate is None:
        raise JqlError(UNBOUNDED)
    if len(order) > 7:
        raise JqlError("The ORDER BY clause can contain a maximum of 7 fields.")
    return predicate, order


def sort_key(issue: Issue, field: str) -> Any:
    if field == "key":
        project, number = str(issue["key"]).rsplit("-", 1)
        return (project, int(number))
    return str(issue["fields"].get(field) or "")


IDS_PAGE_CAP = 5000
FIELDS_PAGE_CAP = 100


class SearchRoutes:
    if TYPE_CHECKING:
        base_url: str
        issues: dict[str, FakeIssue]
        fields_page_cap: int
        cursors: dict[str, list[str]]
        searches: list[dict[str, Any]]
        custom_fields: dict[str, Any]

    # --- search ----------------------------------------------------------------

    def _search(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        if request.method == "GET":
            params = query(request)
            asked = {
                "jql": first(request, "jql"),
                "fields": [f for value in params.get("fields", []) for f in value.split(",") if f],
                "maxResults": first(request, "maxResults"),
                "nextPageToken": first(request, "nextPageToken"),
            }
        else:
            data = body(request)
            if not isinstance(data, dict):
                return reply(400, errors(["Request body is not a JSON object."]))
            allowed = {"jql", "fields", "maxResults", "nextPageToken", "expand", "properties"}
            allowed |= {"fieldsByKeys", "failFast", "reconcileIssues"}
            for name in data:
                if name not in allowed:
                    return reply(400, errors([f'Unrecognized field "{name}"']))
            asked = {k: data.get(k) for k in ("jql", "fields", "maxResults", "nextPageToken")}
            if asked["fields"] is not None and not isinstance(asked["fields"], list):
                return reply(400, errors(["fields must be an array of strings."]))
        try:
            predicate, order = compile_jql(str(asked["jql"] or ""))
        except JqlError as error:
            return reply(400, errors([str(error)]))
        wanted = list(asked["fields"] or ["id"])  # this endpoint's default is the id only
        try:
            limit = 50 if asked["maxResults"] in (None, "") else int(asked["maxResults"])  # type: ignore[arg-type]
        except ValueError:
            return reply(400, errors(["maxResults must be a number."]))
        cap = IDS_PAGE_CAP if set(wanted) <= {"id", "key"} else self.fields_page_cap
        size = max(0, min(limit, cap))
        signature = hashlib.sha1(json.dumps([asked["jql"], wanted]).encode()).hexdigest()[:12]
        offset = 0
        if asked["nextPageToken"]:
            try:
                token = json.loads(base64.urlsafe_b64decode(str(asked["nextPageToken"])))
                assert token["s"] == signature
                offset = int(token["o"])
            except (ValueError, KeyError, AssertionError, TypeError):
                return reply(400, errors(["The provided next page token is invalid or expired."]))
        if offset == 0 or signature not in self.cursors:
            found = [i for i in self.issues.values() if predicate(i.as_search())]
            for name, ascending in reversed(order):
                found.sort(key=lambda i, n=name: sort_key(i.as_search(), n), reverse=not ascending)  # type: ignore[misc]
            # Later pages read this result, like a server-side cursor, so a read of
            # N issues stays linear; an issue deleted meanwhile is skipped.
            self.cursors[signature] = [i.key for i in found]
        found = [self.issues[k] for k in self.cursors[signature] if k in self.issues]
        page = found[offset : offset + size]
        self.searches.append({**asked, "returned": len(page)})
        result: dict[str, Any] = {
            "issues": [self.render(issue, wanted) for issue in page],
            "isLast": offset + size >= len(found),
        }
        if not result["isLast"]:
            token_text = json.dumps({"o": offset + size, "s": signature}).encode()
            result["nextPageToken"] = base64.urlsafe_b64encode(token_text).decode()
        return reply(200, result)

    def render(self, issue: FakeIssue, wanted: Sequence[str]) -> dict[str, Any]:
        known = set(SYSTEM_FIELDS) | set(self.custom_fields)
        names = known if "*all" in wanted else [f for f in wanted if f in known]
        fields: dict[str, Any] = {}
        for name in names:
            if name == "comment":
                comments = [{k: v for k, v in c.items() if k != "_public"} for c in issue.comments]
                fields[name] = {
                    "comments": comments,
                    "maxResults": len(comments),
                    "total": len(comments),
                    "startAt": 0,
                }
            else:
                fields[name] = issue.fields.get(name)
        return {
            "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": issue.id,
            "self": f"{self.base_url}{REST}/issue/{issue.id}",
            "key": issue.key,
            "fields": fields,
        }
