"""The Shopify Admin GraphQL client: one ``execute`` that paces, retries and classifies.

>>> ShopifyClient("not a shop", Credentials.admin_token("x"))
Traceback (most recent call last):
...
shopify_stock_sync.engine.shopify.errors.ConfigurationError: 'not a shop' is not ...

Transient failures (network, timeout, 5xx, throttled) are retried here a bounded number
of times, with the same request body, so an inventory mutation keeps its idempotency key
and a retry after a lost reply replays instead of applying twice.  What is still
failing after that is raised as :class:`TransientError` with a suggested delay for the
caller's own, longer retry (the queue job).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

import requests

from .auth import Credentials, TokenSource, validate_domain
from .errors import (
    AuthError,
    ConfigurationError,
    RequestError,
    ShopifyError,
    ThrottledError,
    TransientError,
)
from .throttle import CostBucket

_logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2026-10"
_API_VERSION = re.compile(r"^(\d{4}-(01|04|07|10)|unstable)$")
_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")


def validate_api_version(api_version: str) -> str:
    """Return ``api_version`` if it names a Shopify API version, else refuse it."""
    if not isinstance(api_version, str) or not _API_VERSION.match(api_version):
        raise ConfigurationError(
            f"{api_version!r} is not a Shopify API version: use a quarterly "
            f"version such as {DEFAULT_API_VERSION}."
        )
    return api_version


def operation_name(document: str) -> str:
    match = _OPERATION.match(document)
    return match.group(1) if match else "anonymous"


class ShopifyClient:
    """Talks to one shop.  ``clock`` and ``sleep`` are injectable for simulated time."""

    def __init__(
        self,
        domain: str,
        credentials: Credentials,
        *,
        api_version: str = DEFAULT_API_VERSION,
        base_url: str | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = time.sleep,
        max_attempts: int = 4,
        backoff: float = 1.0,
    ) -> None:
        self.domain = validate_domain(domain)
        validate_api_version(api_version)
        if max_attempts < 1:
            raise ConfigurationError("max_attempts must be at least 1.")
        self.api_version = api_version
        root = (base_url or f"https://{self.domain}").rstrip("/")
        self.graphql_url = f"{root}/admin/api/{api_version}/graphql.json"
        self.timeout = timeout
        self.session = session or requests.Session()
        self.clock = clock
        self.sleep = sleep
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.bucket = CostBucket()
        self.tokens = TokenSource(
            credentials,
            f"{root}/admin/oauth/access_token",
            self.session,
            clock,
            timeout,
        )
        self.calls = 0
        self.cost_points = 0.0
        self.waited = 0.0
        self._last_cost: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"<ShopifyClient {self.domain} {self.api_version}>"

    def execute(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        estimated_cost: float | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL document and return its ``data``."""
        operation = operation_name(document)
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            cost = estimated_cost or self._last_cost.get(operation, 10.0)
            self._pause(self.bucket.wait_for(cost, self.clock()))
            try:
                return self._send(operation, document, variables)
            except AuthError as exc:
                if exc.status != 401 or renewed or not self.tokens.renewable:
                    raise
                # A granted token may have been revoked early: renew it once.
                self.tokens.invalidate()
                renewed = True
            except TransientError as exc:
                if attempt >= self.max_attempts:
                    raise
                delay = exc.retry_after
                if delay is None:
                    delay = self.backoff * 2 ** (attempt - 1)
                _logger.info(
                    "Shopify %s on %s: %s; attempt %d of %d in %.1f s",
                    operation,
                    self.domain,
                    exc.message,
                    attempt + 1,
                    self.max_attempts,
                    delay,
                )
                self._pause(delay)

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            self.sleep(seconds)

    def _send(
        self, operation: str, document: str, variables: dict[str, Any] | None
    ) -> dict[str, Any]:
        headers = {
            "X-Shopify-Access-Token": self.tokens.token(),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        payload = {"query": document, "variables": variables or {}}
        self.calls += 1
        try:
            response = self.session.post(
                self.graphql_url, json=payload, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise TransientError(
                f"Shopify did not answer {operation} within {self.timeout[1]:g} s."
            ) from None
        except requests.RequestException as exc:
            raise TransientError(
                f"Could not reach Shopify for {operation} ({type(exc).__name__})."
            ) from None
        return self._read(operation, response)

    def _read(self, operation: str, response: requests.Response) -> dict[str, Any]:
        status = response.status_code
        if status == 401:
            raise AuthError(
                f"Shopify refused the access token for {self.domain} (HTTP 401). Check "
                "the credentials and that the app is still installed.",
                status=status,
            )
        if status == 403:
            raise AuthError(
                f"Shopify forbids {operation} for this app (HTTP 403): the app lacks "
                "an access scope or the shop is locked.",
                status=status,
            )
        if status == 429:
            raise ThrottledError(
                f"Shopify throttled {operation} (HTTP 429).",
                status=status,
                retry_after=_retry_after(response, 1.0),
            )
        if status >= 500:
            raise TransientError(
                f"Shopify failed on {operation} (HTTP {status}).",
                status=status,
                retry_after=_retry_after(response, None),
            )
        if status != 200:
            raise RequestError(
                f"Shopify refused {operation} (HTTP {status}).", status=status
            )
        try:
            body = response.json()
        except ValueError:
            raise TransientError(
                f"Shopify's answer to {operation} was not JSON.", status=status
            ) from None
        cost = (body.get("extensions") or {}).get("cost") or {}
        throttle = cost.get("throttleStatus")
        self.bucket.observe(throttle, self.clock())
        if cost.get("requestedQueryCost") is not None:
            self._last_cost[operation] = float(cost["requestedQueryCost"])
        self.cost_points += float(cost.get("actualQueryCost") or 0)
        errors = body.get("errors")
        if errors:
            raise self._graphql_error(operation, errors, cost)
        data = body.get("data")
        if data is None:
            raise RequestError(f"Shopify's answer to {operation} had no data.")
        return data

    def _graphql_error(
        self, operation: str, errors: Any, cost: dict[str, Any]
    ) -> ShopifyError:
        if not isinstance(errors, list):
            return RequestError(f"Shopify refused {operation}: {errors}")
        first = errors[0] if errors else {}
        code = (first.get("extensions") or {}).get("code")
        message = first.get("message") or "no message"
        if code == "THROTTLED":
            # The bucket has just read this answer's throttleStatus: wait until it
            # holds what the request asked for (at least a moment, at most a minute).
            requested = cost.get("requestedQueryCost")
            wait = self.bucket.wait_for(float(requested or 0), self.clock())
            return ThrottledError(
                f"Shopify throttled {operation}.",
                code=code,
                retry_after=min(max(wait, 0.1), 60.0),
            )
        if code == "ACCESS_DENIED":
            return AuthError(
                f"Shopify denied {operation}: {message} Grant the app the missing "
                "access scope and reinstall it.",
                code=code,
            )
        if code in ("INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"):
            return TransientError(
                f"Shopify failed on {operation}: {message}", code=code
            )
        return RequestError(f"Shopify refused {operation}: {message}", code=code)


def _retry_after(response: requests.Response, default: float | None) -> float | None:
    try:
        return max(float(response.headers.get("Retry-After", "")), 0.0)
    except ValueError:
        return default
