"""Secrets come only from the environment or from files, named in the policy as
`{env: NAME}` or `{file: PATH}`; their values are never printed or logged."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl
from urllib.parse import urlsplit

from escalada import redaction
from escalada.errors import EscaladaError
from escalada.policy.model import SecretRef
from escalada.regularfile import read_regular

# A token, password or webhook URL is well under this; anything larger is a mistake.
MAX_SECRET_BYTES = 64 * 1024


class Secret(str):
    """A resolved secret: a str for the client libraries, redacted in repr."""

    def __repr__(self) -> str:
        return "Secret('***')"


def resolve(ref: SecretRef, *, environ: Mapping[str, str] | None = None) -> Secret:
    """The value a SecretRef points at, remembered for scrubbing from every log
    record (escalada.redaction). A relative file path is taken from the working
    directory."""
    value = _resolve(ref, environ)
    redaction.remember(value)
    return value


def _resolve(ref: SecretRef, environ: Mapping[str, str] | None) -> Secret:
    if ref.source == "env":
        value = (os.environ if environ is None else environ).get(ref.name)
        if value is None or not value.strip():
            raise EscaladaError(
                f"environment variable {ref.name} is not set",
                hint=f"export {ref.name}=..., or point this secret at a file with {{file: PATH}}",
            )
        return Secret(value.strip())
    path = Path(ref.name)
    try:
        value = read_regular(path, MAX_SECRET_BYTES).decode("utf-8")
    except OSError as error:
        raise EscaladaError(
            f"cannot read secret file {path}: {error.strerror or error}",
            hint="a secret file is a regular file; check the path (relative paths start "
            "from the working directory) and its permissions",
        ) from None
    except UnicodeDecodeError:
        raise EscaladaError(
            f"secret file {path} is not UTF-8 text", hint="write the secret as UTF-8 text"
        ) from None
    if not value.strip():
        raise EscaladaError(f"secret file {path} is empty", hint="write the secret into it")
    return Secret(value.strip())


def redact_url(url: str) -> str:
    """A webhook or desk URL with everything after the host hidden."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/***" if parts.scheme else "***"


def shown_url(url: str) -> str:
    """A desk URL fit for a message: scheme, host and port; no user part, and
    `/...` for any path or query (either may carry a credential)."""
    parts = urlsplit(url)
    if not parts.scheme:
        return "not a URL"
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ":?"
    rest = "/..." if parts.path not in ("", "/") or parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{port}{rest}"


# A query parameter whose name holds one of these carries a credential:
# ?token=, ?access_token=, ?api_key=, ?apikey=, ?sig= (Azure SAS), ?secret=,
# ?password=, ?auth=, ?code= (Azure Functions' key), ?signature=.
_CREDENTIAL_WORDS = ("token", "secret", "pass", "pwd", "key", "sig", "auth", "credential")
_CREDENTIAL_NAMES = frozenset({"code"})


def url_credentials(url: str) -> list[str]:
    """What in `url` is a credential, named without its value: `a password in
    the user part`, `the query parameter token`. Empty when there is none."""
    parts = urlsplit(url)
    found: list[str] = []
    if parts.password is not None:
        found.append("a user name and password before the host")
    elif parts.username:
        found.append("a user part before the host (a token written as a user name)")
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        folded = name.casefold()
        if folded in _CREDENTIAL_NAMES or any(word in folded for word in _CREDENTIAL_WORDS):
            found.append(f"the query parameter {name}")
    return list(dict.fromkeys(found))
