"""A bare GraphQL client for driving the simulator in tests, with ``requests`` only."""

from __future__ import annotations

from types import EllipsisType
from typing import Any

import requests

API_VERSION = "2026-10"


class RawClient:
    """Posts documents to a simulator as Shopify's HTTP API expects them."""

    def __init__(self, base_url: str, token: str | None, version: str = API_VERSION):
        self.base_url = base_url
        self.token = token
        self.version = version
        self.session = requests.Session()

    @property
    def url(self) -> str:
        return f"{self.base_url}/admin/api/{self.version}/graphql.json"

    def post(
        self,
        document: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None | EllipsisType = ...,
        timeout: float = 10.0,
    ) -> requests.Response:
        """POST a document; ``token=None`` sends no token header at all."""
        headers = {"Content-Type": "application/json"}
        sent = self.token if token is ... else token
        if sent is not None:
            headers["X-Shopify-Access-Token"] = sent
        return self.session.post(
            self.url,
            json={"query": document, "variables": variables or {}},
            headers=headers,
            timeout=timeout,
        )

    def run(self, document: str, **variables: Any) -> dict[str, Any]:
        """The JSON body of a request answered with HTTP 200."""
        response = self.post(document, variables)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def data(self, document: str, **variables: Any) -> dict[str, Any]:
        """The ``data`` of a request that must succeed without errors."""
        body = self.run(document, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]
