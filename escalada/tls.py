"""What TLS said when it refused a certificate, for desks and channels alike:
retrying cannot make a certificate trusted, so both refuse it at once."""

from __future__ import annotations

import ssl


def untrusted_certificate(error: BaseException) -> str | None:
    """What the TLS library said of a certificate it did not trust (e.g.
    "self-signed certificate"), or None when `error` is no verification failure."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        found = pending.pop()
        if not isinstance(found, BaseException) or id(found) in seen:
            continue
        seen.add(id(found))
        if isinstance(found, ssl.SSLCertVerificationError):
            return str(found.verify_message or found.reason or "certificate verify failed")
        reason = getattr(found, "reason", None)  # urllib3's MaxRetryError
        pending.extend([*found.args, reason, found.__cause__, found.__context__])
    text = str(error)
    return "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in text else None
