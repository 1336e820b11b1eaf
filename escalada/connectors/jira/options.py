"""The options of a jira Desk (`spec.options`): the table `escalada validate` and
the Desk schema read, and the parser the connector uses. Imports no client library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from typing import cast

from escalada.connectors.kind import DeskOption
from escalada.connectors.kind import OptionProblem
from escalada.errors import EscaladaError
from escalada.policy.model import Desk

TeamMode = Literal["field", "component", "assignee"]
CommentApi = Literal["servicedesk", "platform", "edit"]
TEAM_MODES: tuple[TeamMode, ...] = ("field", "component", "assignee")
COMMENT_APIS: tuple[CommentApi, ...] = ("servicedesk", "platform", "edit")

OPTIONS: dict[str, DeskOption] = {
    "team_mode": DeskOption(
        "string",
        "How a team is set on an issue: field (a group picker custom field, needs "
        "team_field), component (needs project) or assignee.",
        choices=TEAM_MODES,
        default="field",
    ),
    "team_field": DeskOption(
        "string",
        "The group picker custom field that holds the team (team_mode field), e.g. "
        "customfield_10050.",
    ),
    "project": DeskOption(
        "string", "The project key, for the permission check and components, e.g. OPS."
    ),
    "comment_api": DeskOption(
        "string",
        "servicedesk: internal comments through the JSM API; platform: the Jira platform "
        "comment API; edit: notes inside the issue edit (one request; plain comments, for "
        "projects without JSM).",
        choices=COMMENT_APIS,
        default="servicedesk",
    ),
    "manage_priorities": DeskOption(
        "boolean",
        "true: apply creates and updates the policy's priorities; false: they are only "
        "verified, never written.",
        default=True,
    ),
}


@dataclass(frozen=True, slots=True)
class JiraOptions:
    """spec.options of a jira Desk."""

    team_mode: TeamMode = "field"
    team_field: str | None = None  # field mode: a single group picker custom field
    project: str | None = None  # project key: permission check, components
    comment_api: CommentApi = "servicedesk"
    manage_priorities: bool = True  # false: priorities are verified, never written

    @property
    def notes_in_edit(self) -> bool:
        """Whether the note rides in the issue edit. Only a plain comment can: a JSM
        internal note is one more request (escalada.connectors.jira.tickets)."""
        return self.comment_api == "edit"

    @classmethod
    def of(cls, desk: Desk) -> JiraOptions:
        where = str(desk.where) if desk.where.line else None
        opts = dict(desk.options)

        def bad(message: str, hint: str) -> EscaladaError:
            return EscaladaError(f"desk {desk.name!r}: {message}", where=where, hint=hint)

        unknown = sorted(set(opts) - set(cls.__dataclass_fields__))
        if unknown:
            raise bad(
                f"spec.options has no {unknown[0]!r} for jira",
                f"jira options: {', '.join(cls.__dataclass_fields__)}",
            )
        mode = opts.get("team_mode", "field")
        if mode not in TEAM_MODES:
            raise bad(f"team_mode is {mode!r}", f"use one of: {', '.join(TEAM_MODES)}")
        api = opts.get("comment_api", "servicedesk")
        if api not in COMMENT_APIS:
            raise bad(f"comment_api is {api!r}", f"use one of: {', '.join(COMMENT_APIS)}")
        manage = opts.get("manage_priorities", True)
        if not isinstance(manage, bool):
            raise bad("manage_priorities must be true or false", "write true or false")
        field, project = opts.get("team_field"), opts.get("project")
        if mode == "field" and desk.teams and not field:
            raise bad(
                "team_mode field needs team_field",
                "name the group picker custom field, e.g. team_field: customfield_10050",
            )
        if mode == "component" and not project:
            raise bad("team_mode component needs project", "name the project key, e.g. SD")
        return cls(
            team_mode=cast(TeamMode, mode),
            team_field=None if field is None else str(field),
            project=None if project is None else str(project),
            comment_api=cast(CommentApi, api),
            manage_priorities=manage,
        )


def option_problems(desk: Desk) -> list[OptionProblem]:
    """The team mode's companion option (the connector refuses to start without it)."""
    mode = desk.options.get("team_mode", "field")
    problems = []
    if mode == "field" and desk.teams and not desk.options.get("team_field"):
        problems.append(
            OptionProblem(
                "team_mode field (the default) needs team_field",
                "name the group picker custom field that holds the team, "
                "e.g. options: {team_field: customfield_10050}",
            )
        )
    if mode == "component" and not desk.options.get("project"):
        problems.append(
            OptionProblem(
                "team_mode component needs project",
                "name the project key the components belong to, e.g. project: OPS",
            )
        )
    return problems
