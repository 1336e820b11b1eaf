"""What the registry knows of a desk type without importing its client library:
its options (a Desk's `spec.options`) and its capability flags.

Plain data and small functions: `escalada validate`, the Desk schema and the
semantic checks read a DeskKind; only `connect()` imports the connector class
it names, so validate never loads jira, zenpy or pysnc."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

from escalada.policy.model import Desk

Schema = dict[str, Any]
JsonType = Literal["string", "boolean", "integer", "object"]


@dataclass(frozen=True, slots=True)
class DeskOption:
    """One option: its JSON type, what it does, and what it takes."""

    type: JsonType
    description: str
    choices: tuple[str, ...] = ()  # one of these words (the type is then implied)
    nullable: bool = False  # null switches the option off
    default: Any = None  # None: not set unless written
    minimum: int | None = None
    maximum: int | None = None
    contents: Schema = field(default_factory=dict)  # a mapping's keys and values


@dataclass(frozen=True, slots=True)
class OptionProblem:
    """An option the connector would refuse although each value is well typed
    (e.g. a mode without its companion option): `escalada validate` reports it."""

    message: str  # after "desk 'NAME': "
    hint: str


@dataclass(frozen=True, slots=True)
class FixedValues:
    """The desk values one mapping (spec.priorities, spec.impact.values,
    spec.urgency.values) may name, as the desk documents them: `escalada
    validate` reports any other as `desk-value`."""

    values: tuple[str, ...]
    about: str  # the hint's first words, e.g. "Zendesk's priorities are fixed"
    # "warning" where an admin can add values on the desk (the base system's choices)
    severity: Literal["error", "warning"] = "error"


@dataclass(frozen=True, slots=True)
class DeskKind:
    """One desk type (`spec.type`): one registry entry.

    The flags say what the checks and commands may assume of the desk, in the
    manner of octoDNS's `SUPPORTS_*`, so no code outside the desk's package
    tests `desk.type == ...`."""

    type: str  # the word written in spec.type, e.g. "zendesk"
    title: str  # e.g. "Zendesk": "Settings of a Zendesk desk."
    connector: str  # "module:Class", imported by connect() only
    options: Mapping[str, DeskOption] = field(default_factory=dict)
    listed_as: str = ""  # how the schema's type description names it; default: `type`
    needs_url: bool = True  # False: the desk has no base URL (spec.url is not required)
    reads_unmapped_as_is: bool = False  # a name missing from a mapping reads back as itself
    embedded: bool = False  # escalada keeps the desk in a local file (the demo runs on it)
    # The account's request budget when spec.rate_limit is not written, from the desk's
    # documented limits (escalada.pacing.parse_rate form, e.g. "400/min"); None: the
    # desk publishes no fixed limit, so requests are paced only by what it answers
    # (Retry-After, rate headers). Embedded desks are never paced.
    rate_limit: str | None = None
    # The connector's `apply` is safe on several threads at once: the runner then writes
    # a chunk's tickets concurrently, as many in flight as the account's budget can use
    # (escalada.pacing.RateBudget.in_flight). False (the embedded sandbox's one SQLite
    # file; a plug-in that does not say so): one write at a time.
    concurrent_writes: bool = False
    # Problems between options that each look fine alone (None: there are none).
    option_problems: Callable[[Desk], Sequence[OptionProblem]] | None = None
    # The values each mapping ("priorities", "impact", "urgency") may name on this
    # Desk (None, or a mapping left out: any value).
    fixed_values: Callable[[Desk], Mapping[str, FixedValues]] | None = None
    # What the connector would refuse or drop in an https Desk url (None: nothing).
    url_problem: Callable[[str], OptionProblem | None] | None = None

    @property
    def connector_module(self) -> str:
        return self.connector.partition(":")[0]
