"""How the ServiceNow fake reads values out of its tables: dot-walked fields,
display values (reference names, choice labels, journal entries) and the
`sysparm_display_value` shapes (false: values, true: display values, all:
value/display pairs, with a `link` for references unless excluded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import Protocol

from tests.fakes.servicenow_tables import DISPLAY_COLUMN


class _Req(Protocol):
    def param(self, name: str, default: str | None = None) -> str | None: ...


class Rendering:
    schemas: dict[str, dict[str, str]]
    tables: dict[str, dict[str, dict[str, str]]]
    base_url: str

    def find(self, table: str, **values: str) -> list[dict[str, str]]:
        raise NotImplementedError

    def _fields(self, table: str, text: str | None) -> list[str]:
        if not text:
            return list(self.schemas[table])
        names = [name for name in text.split(",") if name]
        for name in names:
            self._walk(table, name)
        return names

    def _walk(self, table: str, name: str) -> tuple[str, str]:
        """(table, column) that a dot-walked field ends on; KeyError if it does not exist."""
        *hops, last = name.split(".")
        for hop in hops:
            kind = self.schemas[table].get(hop, "")
            if not kind.startswith("ref:"):
                raise KeyError(f"{name!r}: {hop!r} is not a reference field of {table}")
            table = kind[4:]
        if last not in self.schemas[table]:
            raise KeyError(f"{table} has no field {last!r}")
        return table, last

    def _target(self, table: str, row: dict[str, str] | None, name: str) -> tuple[str, Any]:
        *hops, last = name.split(".")
        for hop in hops:
            if row is None:
                break
            table = self.schemas[table][hop][4:]
            row = self.tables[table].get(row[hop])
        return table, (row, last)

    def _value(self, table: str, row: dict[str, str], name: str) -> str:
        table, (target, column) = self._target(table, row, name)
        return "" if target is None else target.get(column, "")

    def _getter(self, table: str, row: dict[str, str]) -> Callable[[str], str]:
        return lambda name: self._value(table, row, name)

    def _display(self, table: str, row: dict[str, str], name: str) -> str:
        table, (target, column) = self._target(table, row, name)
        if target is None:
            return ""
        kind = self.schemas[table][column]
        value: str = target.get(column, "")
        if kind.startswith("ref:"):
            referenced = self.tables[kind[4:]].get(value)
            return referenced[DISPLAY_COLUMN[kind[4:]]] if referenced else ""
        if kind == "choice":
            for choice in self.tables["sys_choice"].values():
                if choice["element"] == column and choice["value"] == value:
                    if choice["name"] in (table, "task"):
                        return choice["label"]
            return value
        if kind == "journal":
            entries = self.find("sys_journal_field", element_id=target["sys_id"], element=column)
            label = "Work notes" if column == "work_notes" else "Additional comments"
            return "".join(
                f"{e['sys_created_on']} - {e['sys_created_by']} ({label})\n{e['value']}\n\n"
                for e in reversed(entries)
            )
        return value

    def _render(
        self, table: str, row: dict[str, str], fields: list[str], req: _Req
    ) -> dict[str, Any]:
        mode = req.param("sysparm_display_value", "false")
        links = req.param("sysparm_exclude_reference_link", "false") != "true"
        out: dict[str, Any] = {}
        for name in fields:
            kind = self.schemas[self._walk(table, name)[0]][self._walk(table, name)[1]]
            value = "" if kind == "journal" else self._value(table, row, name)
            if mode == "false":
                out[name] = value
                continue
            display = self._display(table, row, name)
            if mode == "true":
                out[name] = display
                continue
            out[name] = {"display_value": display, "value": value}
            if links and kind.startswith("ref:") and value:
                out[name]["link"] = f"{self.base_url}/api/now/table/{kind[4:]}/{value}"
        return out
