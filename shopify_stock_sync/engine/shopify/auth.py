"""Credentials and access tokens.

Two ways in: the client-credentials grant of a Dev Dashboard app (client id + secret →
a token of about 24 h, renewed before it lapses; there is no refresh token), or the
permanent Admin API token of a legacy custom app.  Secrets are kept out of ``repr``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from .errors import AuthError, ConfigurationError, RequestError, TransientError

# The access scopes the sync needs: variants and SKUs, levels read and written,
# location names and flags.
REQUIRED_SCOPES = (
    "read_products",
    "read_inventory",
    "write_inventory",
    "read_locations",
)

SHOP_DOMAIN = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")  # the whole string

# Renew a granted token when less than this share of its lifetime is left.
RENEW_BEFORE_SHARE = 0.1


def validate_domain(domain: str) -> str:
    """Return the shop domain if it is a ``*.myshopify.com`` domain, else refuse."""
    if not isinstance(domain, str) or not SHOP_DOMAIN.fullmatch(domain):
        raise ConfigurationError(
            f"{domain!r} is not a Shopify shop domain: use the shop's "
            "permanent 'name.myshopify.com' domain (lower case, no https://, no path)."
        )
    return domain


@dataclass(frozen=True)
class Credentials:
    """How to authenticate; build with one of the two class methods."""

    kind: str
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)

    @classmethod
    def client_credentials(cls, client_id: str, client_secret: str) -> Credentials:
        if not client_id or not client_secret:
            raise ConfigurationError(
                "The client-credentials grant needs both the app's client id and "
                "its client secret (Dev Dashboard > app > Settings)."
            )
        return cls(
            "client_credentials", client_id=client_id, client_secret=client_secret
        )

    @classmethod
    def admin_token(cls, access_token: str) -> Credentials:
        if not access_token:
            raise ConfigurationError(
                "An Admin API access token is required for a legacy custom app."
            )
        return cls("admin_token", access_token=access_token)


class TokenSource:
    """Gives the access token to send, renewing a granted one before it lapses."""

    def __init__(
        self,
        credentials: Credentials,
        token_url: str,
        session: requests.Session,
        clock: Callable[[], float],
        timeout: tuple[float, float],
    ) -> None:
        self._credentials = credentials
        self._token_url = token_url
        self._session = session
        self._clock = clock
        self._timeout = timeout
        self._token = credentials.access_token
        self._expires_at: float | None = None
        self._renew_at: float | None = None
        self.scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<TokenSource {self._credentials.kind}>"

    @property
    def renewable(self) -> bool:
        return self._credentials.kind == "client_credentials"

    def token(self) -> str:
        if self.renewable and (
            not self._token or self._renew_at is None or self._clock() >= self._renew_at
        ):
            self.renew()
        return self._token

    def invalidate(self) -> None:
        if self.renewable:
            self._token = ""

    def renew(self) -> None:
        """Ask for a new token with the client-credentials grant."""
        creds = self._credentials
        try:
            response = self._session.post(
                self._token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": creds.client_id,
                    "client_secret": creds.client_secret,
                },
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise TransientError(
                f"Could not reach Shopify to get an access token "
                f"({type(exc).__name__}); will retry.",
                retry_after=5.0,
            ) from None
        if response.status_code >= 500:
            raise TransientError(
                f"Shopify answered HTTP {response.status_code} to the token request; "
                "will retry.",
                status=response.status_code,
                retry_after=5.0,
            )
        if response.status_code in (400, 401, 403):
            raise AuthError(
                f"Shopify refused the client id / client secret (HTTP "
                f"{response.status_code}). Check them in the app's settings and that "
                "the app is installed on this shop.",
                status=response.status_code,
            )
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in") or 86399)
        except (ValueError, KeyError, TypeError):
            raise RequestError(
                f"Shopify's token answer (HTTP {response.status_code}) had no access "
                "token.",
                status=response.status_code,
            ) from None
        now = self._clock()
        self._token = token
        self._expires_at = now + lifetime
        self._renew_at = now + lifetime * (1 - RENEW_BEFORE_SHARE)
        self.scopes = tuple(
            s.strip() for s in str(body.get("scope") or "").split(",") if s.strip()
        )
