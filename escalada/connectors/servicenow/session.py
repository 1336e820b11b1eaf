"""The requests.Session the ServiceNow connector hands to pysnc.

pysnc uses a Session passed as `auth` as it is, so escalada builds it: the
shared ResilientAdapter mounted (pysnc's own urllib3 Retry stays off with
`auto_retry=False`), and Basic auth or an OAuth client-credentials token on it.
The token is fetched through the same session (so through the same retries
and timeouts) and renewed a minute before it expires."""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Mapping

import requests
from requests.auth import AuthBase
from requests.auth import HTTPBasicAuth

from escalada.connectors.session import desk_secrets
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.model import Desk
from escalada.secrets import Secret

AUTH_FORMS = "auth: {user: {env: SN_USER}, password: {env: SN_PASSWORD}} or " + (
    "auth: {client_id: {env: SN_CLIENT_ID}, client_secret: {env: SN_CLIENT_SECRET}}"
)
RENEW_EARLY = 60.0  # seconds before expiry


class _NoAuth(AuthBase):
    """Keeps the session's auth off the token request itself."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class ClientCredentials(AuthBase):
    """OAuth 2.0 client-credentials grant against `<instance>/oauth_token.do`."""

    def __init__(
        self,
        desk: str,
        session: requests.Session,
        token_url: str,
        client_id: Secret,
        client_secret: Secret,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._desk = desk
        self._session = session
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0

    def __repr__(self) -> str:
        return f"ClientCredentials({self._token_url!r})"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._token is None or self._clock() >= self._expires:
            self._fetch()
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def _fetch(self) -> None:
        started = self._clock()
        response = self._session.post(
            self._token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
            auth=_NoAuth(),
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            reason = body.get("error_description") if isinstance(body, dict) else None
            raise DeskError(
                self._desk,
                "POST /oauth_token.do",
                f"HTTP {response.status_code}: no OAuth token ({reason or 'no detail'})",
                status=response.status_code,
                hint="the OAuth client credentials were refused: check client_id and "
                "client_secret in the Desk's auth, and that the OAuth application "
                "(System OAuth > Application Registry) allows the client_credentials grant",
            )
        self._token = str(body["access_token"])
        lifetime = float(body.get("expires_in") or 1800)
        self._expires = started + max(0.0, lifetime - RENEW_EARLY)


def authenticate(
    desk: Desk,
    session: requests.Session,
    instance: str,
    environ: Mapping[str, str] | None,
) -> tuple[AuthBase, str | None]:
    """The auth for the Desk's credentials, and the user name when there is one."""
    names = set(desk.auth)
    if names == {"user", "password"}:
        user, password = desk_secrets(desk, ("user", "password"), environ=environ, hint=AUTH_FORMS)
        return HTTPBasicAuth(user, password), str(user)
    if names == {"client_id", "client_secret"}:
        client_id, secret = desk_secrets(
            desk, ("client_id", "client_secret"), environ=environ, hint=AUTH_FORMS
        )
        auth = ClientCredentials(
            desk.name, session, f"{instance}/oauth_token.do", client_id, secret
        )
        return auth, None
    raise EscaladaError(
        f"desk {desk.name!r}: auth has {', '.join(sorted(names)) or 'nothing'}",
        where=str(desk.where) if desk.where.line else None,
        hint=f"write {AUTH_FORMS}",
    )
