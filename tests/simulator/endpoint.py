"""One GraphQL request, from the HTTP body to the answer, as Shopify handles it.

Order: fault injection (an edge failure never reaches the API), token, parse and
validate, variables, input sizes and requested cost, the single-query cost limit, the
bucket (THROTTLED: nothing runs), execution, then the actual cost is computed and the
difference refunded.  Stalls and dropped replies are left to the HTTP layer (``Reply``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from graphql import (
    DocumentNode,
    ExecutionContext,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    validate,
)

from .context import Context
from .cost import MAX_QUERY_COST, RATE_LIMITS_DOC, actual_cost, analyse
from .faults import Faults
from .schema import executable_schema
from .scopes import ScopeGuard, may_deny
from .state import Shop

INVALID_TOKEN = (
    "[API] Invalid API key or access token (unrecognized login or wrong password)"
)
HTTP_FAULTS = {"http_500": 500, "http_502": 502, "http_503": 503}
JSON = {"Content-Type": "application/json; charset=utf-8"}


@dataclass
class Reply:
    """What the HTTP layer sends: ``body`` None closes the connection unanswered."""

    status: int
    body: bytes | None
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    delay: float = 0.0  # real seconds to stall before answering


@dataclass
class Settings:
    timeout_delay: float = 0.5
    throttle_http_status: int = 200


def json_reply(status: int, payload: Any, **headers: str) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {**JSON, **headers})


def _operation_name(payload: dict[str, Any], document: DocumentNode | None) -> str:
    if isinstance(payload.get("operationName"), str) and payload["operationName"]:
        return payload["operationName"]
    if document is not None:
        ops = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        if len(ops) == 1 and ops[0].name is not None:
            return ops[0].name.value
    return "anonymous"


def handle_graphql(
    shop: Shop,
    faults: Faults,
    settings: Settings,
    *,
    version: str,
    token: str | None,
    body: bytes,
    base_url: str,
) -> Reply:
    with shop.lock:
        shop.stats.requests += 1
        shop.stats.api_versions[version] += 1
    try:
        payload = json.loads(body or b"null")
        query = payload["query"]
        variables = payload.get("variables") or {}
        if not isinstance(query, str) or not isinstance(variables, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return json_reply(
            400, {"errors": {"query": "Required parameter missing or invalid"}}
        )
    document, _ = _parsed(query)
    operation = _operation_name(payload, document)
    with shop.lock:
        shop.stats.by_operation[operation] += 1
        fault = faults.take(operation)
        if fault:
            shop.stats.faults[fault] += 1
    if fault in HTTP_FAULTS:
        return _edge_failure(HTTP_FAULTS[fault])
    if fault == "timeout":
        reply = _edge_failure(504)
        reply.delay = settings.timeout_delay
        return reply
    with shop.lock:
        granted = shop.token(token)
        scopes = granted.scopes if granted else frozenset()
    if granted is None:
        return json_reply(401, {"errors": INVALID_TOKEN})
    reply = _run(shop, settings, query, payload, variables, scopes, base_url, fault)
    if fault == "timeout_after_apply":
        reply.delay = settings.timeout_delay
    elif fault == "lost_reply":
        reply.body = None
    return reply


def _run(
    shop: Shop,
    settings: Settings,
    query: str,
    payload: dict[str, Any],
    variables: dict[str, Any],
    scopes: frozenset[str],
    base_url: str,
    fault: str | None,
) -> Reply:
    schema = executable_schema()
    document, errors = _parsed(query)
    if errors:
        return _errors(shop, errors, requested=0)
    assert document is not None
    name = payload.get("operationName")
    guard = [ScopeGuard()] if _may_deny(query, scopes) else None
    exe = ExecutionContext.build(
        schema,
        document,
        context_value=Context(shop, scopes, base_url),
        raw_variable_values=variables,
        operation_name=name if isinstance(name, str) and name else None,
        middleware=guard,
        is_awaitable=_never,
    )
    if isinstance(exe, list):  # no such operation, bad variables
        return _errors(shop, exe, requested=0)
    analysis = analyse(schema, exe.fragments, exe.operation, exe.variable_values)
    if analysis.errors:
        return _errors(shop, analysis.errors, requested=analysis.requested)
    requested = analysis.requested
    if requested > MAX_QUERY_COST:
        return _errors(shop, [_max_cost_error(requested)], requested=requested)
    with shop.lock:
        shop.bucket.refill(shop.clock.now())
        injected = fault in ("throttled", "http_429")
        if injected or not shop.bucket.take(requested):
            shop.stats.throttled += 1
            status = 429 if fault == "http_429" else settings.throttle_http_status
            return _throttled(shop, requested, status)
        result = _execute(exe)
        spent = actual_cost(
            schema, exe.fragments, exe.operation, exe.variable_values, result.data
        )
        actual = min(spent, requested)
        shop.bucket.refund(requested - actual)
        shop.stats.cost_requested += requested
        shop.stats.cost_actual += actual
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        body["data"] = result.data
        body["extensions"] = {"cost": _cost(shop, requested, actual)}
    return json_reply(200, body)


def _execute(exe: ExecutionContext) -> ExecutionResult:
    """Run a built operation (what ``graphql.execute`` does after building)."""
    data: dict[str, Any] | None
    try:
        data = cast(dict[str, Any], exe.execute_operation(exe.operation, None))
    except GraphQLError as error:
        exe.errors.append(error)
        data = None
    result = exe.build_response(data, exe.errors)
    assert isinstance(result, ExecutionResult)
    return result


@lru_cache(maxsize=512)
def _parsed(query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
    """The document and its syntax or validation errors; documents repeat, so cached
    (the AST is never modified by execution)."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, [exc]
    return document, validate(executable_schema(), document)


@lru_cache(maxsize=512)
def _may_deny(query: str, scopes: frozenset[str]) -> bool:
    document, _ = _parsed(query)
    assert document is not None
    return may_deny(executable_schema(), document, scopes)


def _never(_value: Any) -> bool:
    return False  # every resolver is synchronous: skip graphql-core's awaitable checks


def _cost(shop: Shop, requested: int, actual: int | None) -> dict[str, Any]:
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": shop.bucket.status(),
    }


def _errors(shop: Shop, errors: list[GraphQLError], requested: int) -> Reply:
    """Refused before execution: nothing ran, nothing was charged."""
    with shop.lock:
        shop.bucket.refill(shop.clock.now())
        cost = _cost(shop, requested, None)
    body = {
        "errors": [error.formatted for error in errors],
        "extensions": {"cost": cost},
    }
    return json_reply(200, body)


def _max_cost_error(requested: int) -> GraphQLError:
    return GraphQLError(
        f"Query cost is {requested}, which exceeds the single query max cost limit "
        f"({MAX_QUERY_COST}). To query larger amounts of data with fewer limits, bulk "
        "operations should be used instead.",
        extensions={
            "code": "MAX_COST_EXCEEDED",
            "cost": requested,
            "maxCost": MAX_QUERY_COST,
            "documentation": RATE_LIMITS_DOC,
        },
    )


def _throttled(shop: Shop, requested: int, status: int) -> Reply:
    """THROTTLED as Shopify shapes it: no data; HTTP 200, or 429 with Retry-After."""
    body = {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": RATE_LIMITS_DOC},
            }
        ],
        "extensions": {"cost": _cost(shop, requested, None)},
    }
    if status != 429:
        return json_reply(status, body)
    wait = shop.bucket.seconds_until(requested) or 1.0
    return json_reply(429, body, **{"Retry-After": f"{math.ceil(wait * 10) / 10:.1f}"})


def _edge_failure(status: int) -> Reply:
    """A 5xx: JSON for 500 (the API failed), an HTML page from the edge otherwise."""
    if status == 500:
        return json_reply(500, {"errors": "Internal Server Error"})
    reasons = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
    }
    reason = reasons.get(status, "Gateway Timeout")
    page = f"<html><body><h1>{status} {reason}</h1></body></html>"
    return Reply(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
