"""The sandbox desk (SQLite): the connector (`connector`) and its role-named parts.

Importing this package imports no desk client library: `options` and the schema
read it without loading one; `connector` does."""
