"""What the ServiceNow helpers (`check`, `config_records`, `journal`,
`schedules`) need of a connection: the connector provides it, and they see
only this, so no helper imports the connector."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING
from typing import Protocol

from escalada.connectors.servicenow.options import Options
from escalada.errors import DeskError
from escalada.policy.model import Desk

if TYPE_CHECKING:  # the client library, for its type only
    from pysnc import ServiceNowClient


class BatchUnserviced(DeskError):
    """ServiceNow's Batch API returned the request in `unserviced_requests`."""


class Connection(Protocol):
    """A Desk's authenticated ServiceNow instance: Table API reads and pysnc
    records, each error turned into one clear DeskError."""

    desk: Desk
    options: Options
    client: ServiceNowClient

    @property
    def user(self) -> str | None:
        """The account name under Basic auth (None under OAuth)."""
        ...

    def call(self, operation: str) -> AbstractContextManager[None]:
        """A block of pysnc calls; their errors (and a Batch API item's) raise one DeskError."""
        ...

    def rows(
        self,
        table: str,
        query: str,
        fields: Sequence[str],
        operation: str,
        *,
        limit: int | None = None,
        page: int | None = None,
    ) -> list[dict[str, tuple[str, str]]]:
        """Every matching row, at most `page` rows per call (options.page_size by default)."""
        ...
