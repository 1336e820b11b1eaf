"""Desks: every mapping names policy values, covers what tickets can reach, and
reads back one way; options and URL fit the desk type.

unknown-priority/-team/-value in mappings, desk-unmapped (warning),
ambiguous-mapping, desk-option, desk-url, desk-value (a mapped value the desk
does not take, from the registry's FixedValues), literal-secret (a credential
written in the url), desk-rate-limit."""

from __future__ import annotations

from typing import Any

from escalada.connectors.kind import DeskKind
from escalada.connectors.kind import DeskOption
from escalada.connectors.registry import desk_kinds
from escalada.pacing import RateError
from escalada.pacing import parse_rate
from escalada.policy.check.base import Context
from escalada.policy.check.base import condition_values
from escalada.policy.check.base import conditions
from escalada.policy.check.base import suggest
from escalada.policy.load.documents import get
from escalada.policy.model import Desk
from escalada.secrets import shown_url
from escalada.secrets import url_credentials

CREDENTIAL_HINT = (
    "take it out of the url and into spec.auth as {env: NAME} or {file: PATH}; it is in "
    "the file's history now, so replace the credential on the desk"
)

# spec.options per desk type: each desk's table (connectors/<desk>/options.py,
# reached through the desk registry) that the Desk schema is generated from too,
# kept in step with each connector's own option parser by
# tests/connectors/test_options.py. This check is also what validates the options
# of an installed third-party desk when the schema in use is the shipped one.
_PYTHON_TYPES: dict[str, type] = {"string": str, "boolean": bool, "integer": int, "object": dict}
_TYPE_WORDS = {
    "string": "a string",
    "boolean": "true or false",
    "integer": "a whole number",
    "object": "a mapping",
}


def needed_teams(ctx: Context) -> set[str]:
    """Teams a desk must know: those levels `assign` to (the regional teams of a
    rotation, which take the work) and those conditions on `team` name."""
    teams: set[str] = set()
    for path in ctx.policy.paths.values():
        for level in path.levels:
            if "assign" in level.actions:
                team = ctx.policy.teams.get(level.team)
                if team is not None and team.rotation:
                    teams.update(shift.team for shift in team.rotation)
                else:
                    teams.add(level.team)
    for _, cond, at in conditions(ctx):
        if cond.get("field") == "team":
            teams.update(str(v) for v, _ in condition_values(cond, at))
    return teams & set(ctx.policy.teams)


def check_desks(ctx: Context) -> None:
    """URL, options, mapping keys, read-back ambiguity and coverage of every desk."""
    matrix = ctx.policy.matrix
    teams = needed_teams(ctx)
    fields = {
        str(c.get("field"))[7:]
        for _, c, _ in conditions(ctx)
        if str(c.get("field")).startswith("fields.")
    }
    for doc in ctx.of_kind("Desk"):
        desk = ctx.policy.desks.get(doc.name or "")
        if desk is None or desk.where != doc.start:
            continue
        # An unknown type is the schema's finding; check the rest as a desk with no options.
        kind = desk_kinds().get(desk.type) or DeskKind(desk.type, desk.type, "")
        _check_url_and_options(ctx, doc, desk, kind)
        _check_fixed_values(ctx, doc, desk, kind)
        _check_mapping_keys(ctx, doc, desk)
        _check_reverse(ctx, doc, "priorities", "priority", "priorities")
        _check_reverse(ctx, doc, "teams", "team", "teams")
        identity = kind.reads_unmapped_as_is
        if matrix is not None:
            _unmapped(ctx, doc, desk.priorities, list(matrix.priorities), "priorities", identity)
            for key in ("impact", "urgency"):
                mapping = getattr(desk, key)
                if mapping is not None:
                    _unmapped(ctx, doc, mapping.values, list(getattr(matrix, key)), key, identity)
                elif matrix.manage_priority and not identity:
                    ctx.warning(
                        "desk-unmapped",
                        doc.where_key("spec"),
                        f"desk {desk.name!r} has no {key} mapping, so the matrix "
                        "cannot derive priorities from its tickets (manage_priority)",
                        f"add spec.{key}: {{field: <desk field>, values: {{...}}}}",
                    )
        _unmapped(ctx, doc, desk.teams, sorted(teams), "teams", identity)
        _unmapped(ctx, doc, desk.fields, sorted(fields), "fields", identity)


def _check_url_and_options(ctx: Context, doc: Any, desk: Desk, kind: DeskKind) -> None:
    if kind.needs_url:
        if not desk.url:
            ctx.error(
                "desk-url",
                doc.where_key("spec", "type"),
                f"desk {desk.name!r} ({desk.type}) has no url",
                "add spec.url, e.g. https://acme.atlassian.net",
            )
        elif not str(desk.url).lower().startswith("https://"):
            ctx.error(
                "desk-url",
                doc.where("spec", "url"),
                f"desk {desk.name!r}: {shown_url(str(desk.url))!r} is not an https:// URL",
                "escalada talks to desks over TLS only: use the https:// address",
            )
        elif kind.url_problem is not None:
            wrong = kind.url_problem(str(desk.url))
            if wrong is not None:
                ctx.error(
                    "desk-url",
                    doc.where("spec", "url"),
                    f"desk {desk.name!r}: {wrong.message}",
                    wrong.hint,
                )
    if desk.url:
        found = url_credentials(str(desk.url))
        if found:  # never echo the url: it holds the secret
            ctx.error(
                "literal-secret",
                doc.where("spec", "url"),
                f"desk {desk.name!r}: spec.url carries a credential ({', '.join(found)})",
                CREDENTIAL_HINT,
            )
    if desk.rate_limit is not None:
        try:
            parse_rate(desk.rate_limit)
        except RateError as error:
            ctx.error(
                "desk-rate-limit",
                doc.where("spec", "rate_limit"),
                f"desk {desk.name!r}: spec.rate_limit {error}",
                "write what the desk allows this account (Zendesk Professional: 400/min), "
                "or leave rate_limit out for the desk type's documented default",
            )
    allowed = kind.options
    for key, value in desk.options.items():
        option = allowed.get(key)
        if option is None:
            ctx.error(
                "desk-option",
                doc.where_key("spec", "options", key),
                f"desk {desk.name!r}: {desk.type} desks have no option {key!r}",
                suggest(
                    key, list(allowed), None if allowed else f"{desk.type} desks take no options"
                ),
            )
            continue
        problem = _option_problem(key, option, value)
        if problem:
            ctx.error(
                "desk-option",
                doc.where("spec", "options", key),
                f"desk {desk.name!r}: {key} is {value!r}",
                problem,
            )
    if kind.option_problems is not None:
        where = doc.where_key("spec", "options") if desk.options else doc.where_key("spec", "type")
        for issue in kind.option_problems(desk):
            ctx.error("desk-option", where, f"desk {desk.name!r}: {issue.message}", issue.hint)


def _check_fixed_values(ctx: Context, doc: Any, desk: Desk, kind: DeskKind) -> None:
    """A mapped desk value the desk does not take (a Zendesk priority `critical`,
    a ServiceNow impact `7`), at the value, with the values it takes."""
    if kind.fixed_values is None:
        return
    for key, fixed in kind.fixed_values(desk).items():
        path: tuple[str, ...]
        if key == "priorities":
            mapping, path = desk.priorities, ("spec", "priorities")
        else:
            values = getattr(desk, key)
            if values is None:
                continue
            mapping, path = values.values, ("spec", key, "values")
        for name, value in mapping.items():
            if str(value) in fixed.values:
                continue
            word = "priority" if key == "priorities" else key
            message = f"desk {desk.name!r} maps {word} {name!r} to {value!r}, which {kind.title}"
            hint = f"{fixed.about}: use one of {', '.join(fixed.values)}"
            if fixed.severity == "error":
                ctx.error("desk-value", doc.where(*path, name), f"{message} does not take", hint)
            else:
                hint += " (or, if your instance added choices, leave it: only --strict fails)"
                ctx.warning(
                    "desk-value",
                    doc.where(*path, name),
                    f"{message} does not have by default",
                    hint,
                )


def _option_problem(key: str, option: DeskOption, value: Any) -> str | None:
    """How to fix an option's value, or None when the option takes it."""
    if value is None and option.nullable:
        return None
    if option.choices:
        return None if value in option.choices else f"use one of: {', '.join(option.choices)}"
    wanted = _PYTHON_TYPES[option.type]
    if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
        words = _TYPE_WORDS[option.type] + (" or null" if option.nullable else "")
        return f"{key} takes {words}" + (" (no quotes)" if wanted is bool else "")
    if isinstance(value, int) and (
        (option.minimum is not None and value < option.minimum)
        or (option.maximum is not None and value > option.maximum)
    ):
        return f"{key} takes a whole number from {option.minimum} to {option.maximum}"
    return None


def _check_mapping_keys(ctx: Context, doc: Any, desk: Desk) -> None:
    matrix = ctx.policy.matrix
    if matrix is not None:
        for name in desk.priorities:
            if name not in matrix.priorities:
                ctx.unknown(
                    "unknown-priority",
                    "priority",
                    name,
                    matrix.priorities,
                    doc.where_key("spec", "priorities", name),
                    f"desk {desk.name!r}",
                )
        for key in ("impact", "urgency"):
            mapping = getattr(desk, key)
            for value in mapping.values if mapping else ():
                if value not in getattr(matrix, key):
                    ctx.unknown(
                        "unknown-value",
                        f"{key} value",
                        value,
                        getattr(matrix, key),
                        doc.where_key("spec", key, "values", value),
                        f"desk {desk.name!r}",
                    )
    for name in desk.teams:
        if name not in ctx.policy.teams:
            ctx.unknown(
                "unknown-team",
                "team",
                name,
                ctx.policy.teams,
                doc.where_key("spec", "teams", name),
                f"desk {desk.name!r}",
                "define a Team of that name",
            )


def _check_reverse(ctx: Context, doc: Any, key: str, what: str, plural: str) -> None:
    """Two policy values on one desk value: the connector cannot read it back."""
    seen: dict[str, str] = {}
    for name, value in (get(doc.data, ("spec", key)) or {}).items():
        folded = str(value).casefold()
        if folded in seen:
            ctx.error(
                "ambiguous-mapping",
                doc.where("spec", key, name),
                f"desk {doc.name!r} maps {plural} {seen[folded]!r} and {name!r} both to "
                f"{value!r}, so a ticket's {what} cannot be read back",
                f"give each {what} its own desk value",
            )
        else:
            seen[folded] = str(name)


# mapping -> (what one entry maps, where the entries go, why the desk needs them)
_MAPPINGS = {
    "priorities": ("priority", "spec.priorities", "tickets can have these priorities"),
    "impact": ("impact value", "spec.impact.values", "tickets can have these values"),
    "urgency": ("urgency value", "spec.urgency.values", "tickets can have these values"),
    "teams": ("team", "spec.teams", "levels assign tickets to them, or conditions name them"),
    "fields": ("field", "spec.fields", "conditions read them"),
}


def _unmapped(
    ctx: Context, doc: Any, mapping: Any, needed: list[str], key: str, identity: bool
) -> None:
    if identity:  # the desk reads unmapped names back as they are (the sandbox)
        return
    missing = [name for name in needed if name not in mapping]
    if not missing:
        return
    what, entries, why = _MAPPINGS[key]
    ctx.warning(
        "desk-unmapped",
        doc.where_key("spec", key)
        if get(doc.data, ("spec", key)) is not None
        else doc.where_key("spec"),
        f"desk {doc.name!r} has no {what} mapping for {', '.join(map(repr, missing))}",
        f"add {entries} entries for them: {why}",
    )
