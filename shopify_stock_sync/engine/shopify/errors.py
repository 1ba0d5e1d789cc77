"""What can go wrong talking to Shopify, sorted by what the caller should do about it.

* :class:`TransientError` (network, timeout, 5xx, throttled): try again later; it
  carries a suggested delay in ``retry_after`` seconds.
* :class:`AuthError` (401, 403, missing scope): fix the credentials or the app's scopes.
* :class:`RequestError`: Shopify refused the request itself; retrying the same request
  will not help.

Messages never contain a secret: the client builds them from status codes, error codes
and Shopify's own messages only.
"""

from __future__ import annotations

from ..data import ErrorCategory


class ShopifyError(Exception):
    """Base class; ``str()`` is an operational message."""

    category: ErrorCategory = ErrorCategory.REQUEST

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after


class TransientError(ShopifyError):
    """A failure that a later attempt may not meet: network, timeout, 5xx."""

    category = ErrorCategory.TRANSIENT


class ThrottledError(TransientError):
    """Shopify's cost bucket is empty (THROTTLED with HTTP 200, or HTTP 429)."""


class AuthError(ShopifyError):
    """Credentials refused (401), access forbidden (403) or a scope missing."""

    category = ErrorCategory.AUTH


class RequestError(ShopifyError):
    """Shopify refused the request itself: bad input, bad query, too costly."""

    category = ErrorCategory.REQUEST


class ConfigurationError(ValueError):
    """Bad settings, refused before any network call (a shop domain, a version)."""
