"""What the Zendesk helpers (`check`, `config`) need of a connection: the
connector provides it, and they see only this, so no helper imports the
connector."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol

from escalada.policy.model import Desk

if TYPE_CHECKING:  # the client library, for its type only
    from zenpy import Zenpy


class ZendeskClient(Protocol):
    """A Desk's authenticated Zendesk account: zenpy and raw REST calls, each
    error turned into one clear DeskError."""

    desk: Desk
    client: Zenpy

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
        ...

    def zenpy_call(self, operation: str) -> AbstractContextManager[None]:
        """A block of zenpy calls; their errors raise one DeskError."""
        ...

    def groups(self, *, refresh: bool = False) -> dict[int, str]:
        """Group id -> name."""
        ...

    def me(self) -> dict[str, Any]:
        """The API user: id, role, name."""
        ...

    def organizations(self, raws: Sequence[Mapping[str, Any]]) -> dict[int, str]:
        """Names of the tickets' organisations."""
        ...
