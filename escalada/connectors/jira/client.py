"""What the Jira helpers (`check`, `config`) need of a connection: the connector
provides it, and they see only this, so no helper imports the connector."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol

from escalada.connectors.jira.options import JiraOptions
from escalada.policy.model import Desk

if TYPE_CHECKING:  # the client library, for its type only
    import requests
    from jira import JIRA

Hints = Mapping[int, str]  # HTTP status -> the hint of the DeskError it becomes


class JiraClient(Protocol):
    """A Desk's authenticated Jira connection: library calls and raw REST calls,
    each error turned into one clear DeskError."""

    desk: Desk
    options: JiraOptions

    def client(self) -> JIRA:
        """The library client, built on first use."""
        ...

    def call(self, operation: str, fn: Callable[[], Any], hints: Hints | None = None) -> Any:
        """A library call, its JIRAError turned into one clear DeskError."""
        ...

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
        ...

    def get_json(self, path: str, operation: str, **kwargs: Any) -> Any: ...

    def permissions(self, keys: Sequence[str], *, project: str | None = None) -> dict[str, bool]:
        """Which of `keys` the account holds (in `project`, else in any): one read."""
        ...

    def account_id(self, who: str) -> str:
        """team_mode assignee: a Desk.teams value (email or display name) -> accountId."""
        ...
