"""The slice of JQL the Jira fake understands: what escalada generates and the
scopes its tests write.

    clause   := field ("=" | "!=") value
    field    := project | issuetype | status | statusCategory | labels | priority
    query    := [expr] [ORDER BY field [ASC|DESC] ("," field [ASC|DESC])*]
    expr     := and ("OR" and)*,  and := term ("AND" term)*,  term := "(" expr ")" | clause

Errors carry Jira's messages; an empty query or one with only ORDER BY is
"unbounded", which search/jql refuses."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Issue = Mapping[str, Any]  # {"key": ..., "project": ..., "fields": {...}}
Predicate = Callable[[Issue], bool]

UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
CATEGORY_NAMES = {"new": "to do", "indeterminate": "in progress", "done": "done"}
ORDERABLE = ("created", "updated", "key")
TOKEN = re.compile(
    r'\s*(?:(?P<punct>!=|=|\(|\)|,)|"(?P<dq>[^"]*)"|\'(?P<sq>[^\']*)\'|(?P<word>[^\s=!(),"\']+))'
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
