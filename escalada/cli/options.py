"""Option types and options the commands share: text in, a typed value out, a usage
error (exit 2) otherwise."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import ClassVar
from typing import TypeVar
from typing import cast

import click

from escalada.errors import EscaladaError

if TYPE_CHECKING:
    from escalada.connectors.base import Shard


T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

# --- shared option types -------------------------------------------------------


class ParsedType(click.ParamType[T]):
    """An option written as text and read by `parse`, whose ValueError becomes a
    usage error (exit 2). A value that is already `parsed` passes as it is."""

    parsed: ClassVar[type | None] = None  # what `parse` makes

    def parse(self, text: str) -> T:
        raise NotImplementedError

    def is_parsed(self, value: object) -> bool:
        return self.parsed is not None and isinstance(value, self.parsed)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> T:
        if self.is_parsed(value):
            return cast(T, value)
        try:
            return self.parse(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class DurationType(ParsedType[float]):
    """`60s`, `5m`, `1h30m` -> seconds."""

    name = "duration"
    parsed = float

    def parse(self, text: str) -> float:
        from escalada.policy.durations import parse_duration

        return parse_duration(text).total_seconds()


class ShardType(ParsedType["Shard"]):
    """`I/N` -> Shard (imported on use, so `--help` stays light)."""

    name = "I/N"

    def parse(self, text: str) -> Shard:
        from escalada.commands.run import parse_shard

        return parse_shard(text)

    def is_parsed(self, value: object) -> bool:
        from escalada.connectors.base import Shard

        return isinstance(value, Shard)


class TimeType(ParsedType[datetime]):
    """An ISO-8601 instant with a timezone: `2026-11-23T10:00:00Z`."""

    name = "TIME"
    parsed = datetime

    def parse(self, text: str) -> datetime:
        from escalada.instants import from_iso
        from escalada.instants import supported
        from escalada.instants import unsupported_text

        text = text.strip()
        try:
            moment = from_iso(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a time: write e.g. 2026-11-23T10:00:00Z") from None
        if moment.tzinfo is None:
            raise ValueError(f"{text!r} has no timezone: add Z or an offset such as +01:00")
        if not supported(moment):
            raise ValueError(unsupported_text(moment))
        return moment


class RegistryChoice(click.Choice[str]):
    """A choice among the keys of a registry (a renderer table such as REPORTERS),
    read from its module when first needed (parsing, a command's help), so the
    choices are never a second list and importing the CLI imports no renderer
    (check-jsonschema builds --output-format from REPORTER_BY_NAME's keys)."""

    def __init__(self, module: str, registry: str, *, case_sensitive: bool = True) -> None:
        self._registry = (module, registry)
        super().__init__((), case_sensitive=case_sensitive)

    @property
    def choices(self) -> tuple[str, ...]:
        from importlib import import_module

        module, name = self._registry
        return tuple(getattr(import_module(module), name))

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        """Choice.__init__ assigns the choices; the registry decides them."""


def default_policy_paths(paths: tuple[str, ...]) -> tuple[str, ...]:
    """The policy paths given, or ./policy when it exists."""
    from pathlib import Path

    if paths:
        return paths
    if Path("policy").is_dir():
        return ("policy",)
    raise EscaladaError(
        "no policy given and ./policy does not exist",
        hint="pass the policy directory, e.g. --policy examples/policy",
    )


def policy_option(function: F) -> F:
    return click.option(
        "--policy",
        "policy_paths",
        multiple=True,
        type=click.Path(),
        help="Policy directory or file (repeatable). Default: ./policy.",
    )(function)


def desk_option(function: F) -> F:
    return click.option(
        "--desk",
        "desks",
        multiple=True,
        metavar="NAME",
        help="Only this Desk (repeatable). Default: every desk in the policy.",
    )(function)
