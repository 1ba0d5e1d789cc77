# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The sandbox route: one shop domain sent to the bundled Shopify simulator on loopback.

``bash run.sh`` starts Odoo with ``SHOPIFY_STOCK_SYNC_SANDBOX="<domain>=<url>"`` in its
environment.  The setting belongs to the server process, read once at start, never to
the database, so a database administrator cannot divert a real shop with it; and the
URL must be on loopback, so even a server started with it talks to nothing but a local
simulator.

>>> sandbox_route("sandbox-shop.myshopify.com=http://127.0.0.1:8070")
SandboxRoute(domain='sandbox-shop.myshopify.com', base_url='http://127.0.0.1:8070')
>>> sandbox_route("") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .auth import validate_domain
from .errors import ConfigurationError

SANDBOX_VARIABLE = "SHOPIFY_STOCK_SYNC_SANDBOX"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class SandboxRoute:
    """Calls for ``domain`` go to ``base_url`` (the simulator) instead of Shopify."""

    domain: str
    base_url: str

    def base_url_for(self, domain: str | None) -> str | None:
        """The simulator's URL for the sandbox's own domain, None for any other shop."""
        return self.base_url if domain == self.domain else None

    @property
    def page_url(self) -> str:
        """The simulator's page showing its locations and levels."""
        return f"{self.base_url}/sandbox"


def sandbox_route(value: str | None) -> SandboxRoute | None:
    """Read ``<domain>=<loopback URL>``; None when unset, refused when malformed."""
    if not value or not value.strip():
        return None
    domain, sep, url = value.strip().partition("=")
    parts = urlsplit(url)
    if not sep or parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
        raise ConfigurationError(
            f"{SANDBOX_VARIABLE} must read <shop domain>=http://127.0.0.1:<port> "
            f"(the simulator on loopback), not {value!r}."
        )
    return SandboxRoute(validate_domain(domain), url.rstrip("/"))
