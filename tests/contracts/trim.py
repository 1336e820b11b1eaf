"""Trim the vendors' API descriptions to the operations escalada calls.

    python tests/contracts/trim.py jira SWAGGER_V3_JSON   # writes tests/contracts/jira.json

Jira: the Jira Cloud platform REST OpenAPI v3 (Apache-2.0 by its info.license),
as copied into ilpanich/jirust-cli at jira-v3-openapi-spec/swagger.v3.json. For
each operation below it keeps the method, path, parameters, the JSON request
body schema, the JSON response schemas and examples, and every component schema
they reach; OpenAPI 3.0's `nullable` becomes a JSON Schema "null" type, and a
parameter a change notice made required (x-changes type "required") is required. escalada
talks REST v2, whose paths and shapes match v3 for these operations except for
rich text (v2 sends strings where v3 has Atlassian Document Format): V2 lists
those overrides, applied here and recorded in the file.

Zendesk and ServiceNow are not trimmed: Zendesk's OpenAPI description comes
under the Zendesk API Terms, not an open licence, and ServiceNow publishes
prose; their contracts (zendesk.yaml, servicenow.yaml) are written by hand
from the facts and cite the section each comes from.

Run `python tests/contracts/trim.py jira-check SWAGGER_V3_JSON` to compare the
stored file with a fresh trim (exit 1 when they differ)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCE = {
    "repository": "github.com/ilpanich/jirust-cli",
    "path": "jira-v3-openapi-spec/swagger.v3.json",
    "commit": "802452c6aadd9f78c1921f324dc9e6262ca4fba6",
    "date": "2026-02-09",
    "upstream": "https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json",
}
LICENSE = (
    "The Jira Cloud platform REST API description, (c) Atlassian, licensed Apache-2.0 "
    "(its info.license: http://www.apache.org/licenses/LICENSE-2.0.html); trimmed to the "
    "operations escalada calls by tests/contracts/trim.py."
)
# (method, v3 path) of every Jira platform operation escalada calls, as REST v2.
OPERATIONS = (
    ("get", "/rest/api/3/serverInfo"),
    ("get", "/rest/api/3/myself"),
    ("get", "/rest/api/3/mypermissions"),
    ("get", "/rest/api/3/field"),
    ("get", "/rest/api/3/search/jql"),
    ("post", "/rest/api/3/search/jql"),
    ("get", "/rest/api/3/issue/{issueIdOrKey}"),
    ("put", "/rest/api/3/issue/{issueIdOrKey}"),
    ("post", "/rest/api/3/issue/{issueIdOrKey}/comment"),
    ("get", "/rest/api/3/priority/search"),
    ("post", "/rest/api/3/priority"),
    ("put", "/rest/api/3/priority/{id}"),
    ("delete", "/rest/api/3/priority/{id}"),
    ("get", "/rest/api/3/avatar/{type}/system"),
    ("get", "/rest/api/3/task/{taskId}"),
    ("get", "/rest/api/3/group/bulk"),
    ("get", "/rest/api/3/project/{projectIdOrKey}/components"),
    ("get", "/rest/api/3/user/search"),
    ("get", "/rest/api/3/status"),
    ("post", "/rest/api/3/changelog/bulkfetch"),
    ("post", "/rest/api/3/issue/bulkfetch"),
    ("post", "/rest/api/3/bulk/issues/fields"),
    ("get", "/rest/api/3/bulk/queue/{taskId}"),
)
# REST v2 differs from v3 here: rich text is a plain (wiki markup) string.
V2 = {
    "Comment": {"body": {"type": "string", "description": "v2: the comment text"}},
}
# Where the contract is loosened (recorded in the file): for a client library's
# known, harmless habit (jira 3.10's enhanced_search_issues always sends "expand"
# and "properties", null when unset, in the POST search/jql body), and where the
# reference's own example disagrees with its schema (getServerInfo's example
# carries defaultLocale, which ServerInformation's additionalProperties: false
# forbids).
LENIENT = {
    "ServerInformation": {
        "defaultLocale": {
            "type": "object",
            "properties": {"locale": {"type": "string"}},
            "description": "in the reference's own getServerInfo example",
        },
    },
    "Changelog": {
        "created": {
            "type": ["string", "integer"],
            "description": "getBulkChangelogs' own example writes epoch seconds (1492070429) "
            "where the schema says a date-time string; escalada reads both",
        },
    },
    "BulkOperationProgress": {
        name: {
            "type": ["string", "integer"],
            "description": "getBulkOperationProgress' own examples write epoch millis where "
            "the schema says a date-time string; escalada reads neither",
        }
        for name in ("created", "started", "updated")
    },
    "BulkIssueResults": {
        "expand": {
            "type": "string",
            "description": "in the reference's own bulkFetchIssues example",
        },
    },
    "SearchAndReconcileRequestBean": {
        "expand": {"type": ["string", "null"], "description": "jira 3.10 sends null"},
        "properties": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "description": "jira 3.10 sends null",
        },
    },
}


def nullable(schema: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` as JSON Schema (a "null" type or anyOf null)."""
    if isinstance(schema, list):
        return [nullable(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: nullable(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable"):
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        elif kind is None:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def required(param: dict[str, Any]) -> bool:
    """Required by the schema, or by a change notice in force: getMyPermissions'
    `permissions` says "(Required)" in prose and in an x-changes entry of type
    "required" (effective 2019-02-01; the 400 is "Returned if `permissions` is
    empty"), while its `required` flag is still unset."""
    notices = param.get("x-changes") or ()
    return bool(param.get("required")) or any(c.get("type") == "required" for c in notices)


def refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def json_content(content: dict[str, Any] | None) -> dict[str, Any] | None:
    media = (content or {}).get("application/json")
    if not media:
        return None
    out = {"schema": media.get("schema", {})}
    if "example" in media:
        out["example"] = media["example"]
    return out


def trim_jira(spec: dict[str, Any]) -> dict[str, Any]:
    operations = []
    wanted: set[str] = set()
    for method, path in OPERATIONS:
        item = spec["paths"][path]
        op = item[method]
        params = [*item.get("parameters", []), *op.get("parameters", [])]
        entry: dict[str, Any] = {
            "operationId": op["operationId"],
            "method": method.upper(),
            "path": path.replace("/rest/api/3/", "/rest/api/2/"),
            "deprecated": bool(op.get("deprecated")),
            "changes": op.get("x-changes", []),
            "parameters": [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": required(p),
                    "schema": p.get("schema", {}),
                }
                for p in params
                if p["in"] in ("path", "query")
            ],
            "request": json_content((op.get("requestBody") or {}).get("content")),
            "responses": {
                status: json_content(reply.get("content"))
                for status, reply in op["responses"].items()
            },
        }
        refs(entry, wanted)
        operations.append(entry)
    schemas = spec["components"]["schemas"]
    done: set[str] = set()
    while wanted - done:
        name = sorted(wanted - done)[0]
        done.add(name)
        refs(schemas[name], wanted)
    kept = {name: copy.deepcopy(schemas[name]) for name in sorted(done)}
    for overrides in (V2, LENIENT):
        for name, properties in overrides.items():
            kept[name].setdefault("properties", {}).update(properties)
    return nullable(
        {
            "source": {**SOURCE, "version": spec["info"]["version"]},
            "license": LICENSE,
            "v2_overrides": V2,
            "lenient": LENIENT,
            "operations": operations,
            "components": {"schemas": kept},
        }
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("jira", "jira-check"):
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    text = json.dumps(trim_jira(spec), indent=1, sort_keys=True) + "\n"
    target = HERE / "jira.json"
    if argv[0] == "jira-check":
        same = target.read_text(encoding="utf-8") == text
        print("tests/contracts/jira.json is " + ("current" if same else "NOT current"))
        return 0 if same else 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(text)} bytes, {len(OPERATIONS)} operations)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
