"""Secrets come only from the environment or from files, named in the policy as
`{env: NAME}` or `{file: PATH}`; their values are never printed or logged."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

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
    """The value a SecretRef points at. A relative file path is taken from the working directory."""
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
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/***" if parts.scheme else "***"
