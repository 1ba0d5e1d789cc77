"""Bulk queries: ``bulkOperationRunQuery``, ``bulkOperation(id:)`` and the JSONL file.

An operation is CREATED when submitted, RUNNING at its first poll, and COMPLETED at its
second poll or once 2 virtual seconds have passed, whichever comes first (modelled
assumption).  It runs the query at completion over the whole catalogue (connections need
no ``first``) and writes JSONL as Shopify does: one object per line, the nodes of nested
connections as their own lines with ``__parentId`` after their parent, plain objects and
lists (``quantities``) inline.  The file is served without auth at
``{base_url}/bulk/<n>.jsonl``, like a signed URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_named_type,
    is_object_type,
    parse,
    validate,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields

from . import gids
from .context import Context, attributes, context, resolver
from .cost import is_connection
from .scopes import ScopeGuard
from .state import Shop

COMPLETE_AFTER = 2.0  # virtual seconds
COMPLETE_AT_POLL = 2
MAX_RUNNING = 5
MAX_CONNECTIONS = 5
MAX_NESTING = 2
UNFINISHED = ("CREATED", "RUNNING")

Fields = dict[str, list[FieldNode]]


@dataclass
class BulkOperation:
    typename: ClassVar[str] = "BulkOperation"
    number: int
    query: str
    created_at: float
    scopes: frozenset[str]
    base_url: str
    status: str = "CREATED"
    polls: int = 0
    completed_at: float | None = None
    error_code: str | None = None
    data: bytes | None = None
    object_count: int = 0
    root_object_count: int = 0

    @property
    def gid(self) -> str:
        return gids.gid("BulkOperation", self.number)

    @property
    def url(self) -> str | None:
        if self.status != "COMPLETED":
            return None
        return f"{self.base_url}/bulk/{self.number}.jsonl"


@resolver("Mutation", "bulkOperationRunQuery")
def run_query(
    _root: Any, info: GraphQLResolveInfo, query: str, groupObjects: bool = False
) -> dict[str, Any]:
    ctx = context(info)
    shop = ctx.shop
    problem = check_query(info.schema, query)
    if problem:
        invalid = {"field": ["query"], "code": "INVALID", "message": problem}
        return {"bulkOperation": None, "userErrors": [invalid]}
    for op in shop.bulk_operations.values():
        refresh(info.schema, shop, op)
    running = [op for op in shop.bulk_operations.values() if op.status in UNFINISHED]
    if len(running) >= MAX_RUNNING:
        message = (
            f"A maximum of {MAX_RUNNING} bulk query operations can run at the same "
            "time. Wait for one to finish."
        )
        limit = {"field": None, "code": "LIMIT_REACHED", "message": message}
        return {"bulkOperation": None, "userErrors": [limit]}
    number = shop.next_number("BulkOperation")
    op = BulkOperation(number, query, shop.clock.now(), ctx.scopes, ctx.base_url)
    shop.bulk_operations[number] = op
    return {"bulkOperation": op, "userErrors": []}


@resolver("QueryRoot", "bulkOperation")
def bulk_operation(
    _root: Any, info: GraphQLResolveInfo, id: str
) -> BulkOperation | None:
    shop = context(info).shop
    number = gids.parse(id, "BulkOperation")
    op = shop.bulk_operations.get(number) if number is not None else None
    if op is None:
        return None
    op.polls += 1
    refresh(info.schema, shop, op)
    return op


def refresh(schema: GraphQLSchema, shop: Shop, op: BulkOperation) -> None:
    """Move an unfinished operation along the virtual clock and its polls."""
    if op.status not in UNFINISHED:
        return
    elapsed = shop.clock.now() - op.created_at
    if op.polls >= COMPLETE_AT_POLL or elapsed >= COMPLETE_AFTER:
        _complete(schema, shop, op)
    elif op.polls >= 1:
        op.status = "RUNNING"


def _complete(schema: GraphQLSchema, shop: Shop, op: BulkOperation) -> None:
    document = parse(op.query)
    ctx = Context(shop, op.scopes, op.base_url, bulk=True)
    result = execute(schema, document, context_value=ctx, middleware=[ScopeGuard()])
    assert isinstance(result, ExecutionResult)
    op.completed_at = shop.clock.now()
    if result.errors:
        codes = {(e.extensions or {}).get("code") for e in result.errors}
        op.status = "FAILED"
        op.error_code = (
            "ACCESS_DENIED" if "ACCESS_DENIED" in codes else "INTERNAL_SERVER_ERROR"
        )
        return
    lines, roots = Flattener(schema, document).lines(result.data or {})
    op.data = "".join(
        json.dumps(line, separators=(",", ":")) + "\n" for line in lines
    ).encode()
    op.object_count, op.root_object_count = len(lines), roots
    op.status = "COMPLETED"


@resolver("BulkOperation", "createdAt")
def op_created_at(op: BulkOperation, info: GraphQLResolveInfo) -> str:
    return context(info).shop.clock.iso(op.created_at)


@resolver("BulkOperation", "completedAt")
def op_completed_at(op: BulkOperation, info: GraphQLResolveInfo) -> str | None:
    if op.completed_at is None:
        return None
    return context(info).shop.clock.iso(op.completed_at)


# UnsignedInt64 travels as a string of digits, as Shopify sends it.
attributes(
    "BulkOperation",
    id=lambda op: op.gid,
    errorCode=lambda op: op.error_code,
    objectCount=lambda op: str(op.object_count),
    rootObjectCount=lambda op: str(op.root_object_count),
    fileSize=lambda op: None if op.data is None else str(len(op.data)),
    partialDataUrl=lambda op: None,
    type=lambda op: "QUERY",
)


# Checking the query --------------------------------------------------------------


def check_query(schema: GraphQLSchema, query: str) -> str | None:
    """Why Shopify would refuse this bulk query (``INVALID``), or None."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return f"Invalid bulk query: {exc.message}"
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return "Invalid bulk query: it must hold exactly one query operation."
    if operations[0].variable_definitions:
        return "Invalid bulk query: bulk queries take no variables."
    errors = validate(schema, document)
    if errors:
        return f"Invalid bulk query: {errors[0].message}"
    shape = Flattener(schema, document)
    root = schema.query_type
    assert root is not None
    top = shape.fields(root, operations[0])
    for field_nodes in top.values():
        if field_nodes[0].name.value in ("node", "nodes"):
            return "Bulk queries cannot contain a top level `node` or `nodes` field."
    counts = shape.count_connections(root, top, depth=0, parent_has_id=True)
    if isinstance(counts, str):
        return counts
    if counts == 0:
        return "Bulk queries must contain at least one connection."
    if counts > MAX_CONNECTIONS:
        return f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections."
    return None


# Walking the query and its result ----------------------------------------------------


class Flattener:
    """Walks a bulk query over the schema: its shape, and its result as JSONL lines."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.operation = next(
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        )

    def fields(self, root: GraphQLObjectType, op: OperationDefinitionNode) -> Fields:
        return collect_fields(self.schema, self.fragments, {}, root, op.selection_set)

    def sub_fields(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> Fields:
        return collect_sub_fields(self.schema, self.fragments, {}, type_, nodes)

    def node_selections(
        self, connection: GraphQLObjectType, nodes: list[FieldNode]
    ) -> Iterator[tuple[GraphQLObjectType, list[FieldNode], list[str]]]:
        """(node type, node selections, path from the connection) of ``nodes`` and
        ``edges { node }`` selections."""
        for key, field_nodes in self.sub_fields(connection, nodes).items():
            name = field_nodes[0].name.value
            if name == "nodes":
                node_type = get_named_type(connection.fields["nodes"].type)
                yield node_type, field_nodes, [key]  # type: ignore[misc]
            elif name == "edges":
                edge = get_named_type(connection.fields["edges"].type)
                assert isinstance(edge, GraphQLObjectType)
                for edge_key, edge_nodes in self.sub_fields(edge, field_nodes).items():
                    if edge_nodes[0].name.value == "node":
                        node_type = get_named_type(edge.fields["node"].type)
                        yield node_type, edge_nodes, [key, edge_key]  # type: ignore[misc]

    def count_connections(
        self, type_: GraphQLObjectType, fields: Fields, depth: int, parent_has_id: bool
    ) -> int | str:
        """How many connections the selection holds, or why it is refused."""
        total = 0
        for field_nodes in fields.values():
            name = field_nodes[0].name.value
            if name.startswith("__"):
                continue
            named = get_named_type(type_.fields[name].type)
            if not is_object_type(named):
                continue
            assert isinstance(named, GraphQLObjectType)
            if is_connection(named):
                if depth + 1 > MAX_NESTING:
                    return (
                        "Bulk queries cannot contain connections nested more than "
                        f"{MAX_NESTING} levels deep."
                    )
                if depth > 0 and not parent_has_id:
                    return (
                        "The parent of a nested connection must select the `id` field."
                    )
                total += 1
                for node_type, node_nodes, _ in self.node_selections(
                    named, field_nodes
                ):
                    sub = self.sub_fields(node_type, node_nodes)
                    found = self.count_connections(
                        node_type, sub, depth + 1, "id" in sub
                    )
                    if isinstance(found, str):
                        return found
                    total += found
            else:
                sub = self.sub_fields(named, field_nodes)
                found = self.count_connections(named, sub, depth, parent_has_id)
                if isinstance(found, str):
                    return found
                total += found
        return total

    def lines(self, data: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """The JSONL objects of a result, parents before children; and the roots."""
        root = self.schema.query_type
        assert root is not None
        lines: list[dict[str, Any]] = []
        roots = 0
        for key, field_nodes in self.fields(root, self.operation).items():
            named = get_named_type(root.fields[field_nodes[0].name.value].type)
            if not is_connection(named):
                continue
            assert isinstance(named, GraphQLObjectType)
            for node_type, node_nodes, value in self._items(
                named, field_nodes, data[key]
            ):
                roots += 1
                self._emit(node_type, node_nodes, value, None, lines)
        return lines, roots

    def _items(
        self, connection: GraphQLObjectType, nodes: list[FieldNode], value: Any
    ) -> Iterator[tuple[GraphQLObjectType, list[FieldNode], dict[str, Any]]]:
        """Each node object of a resolved connection (from ``nodes`` or ``edges``)."""
        if value is None:
            return
        for node_type, node_nodes, path in self.node_selections(connection, nodes):
            listed = value.get(path[0]) or []
            for entry in listed:
                node = entry if len(path) == 1 else entry.get(path[1])
                if node is not None:
                    yield node_type, node_nodes, node
            return  # one of nodes / edges is enough

    def _emit(
        self,
        type_: GraphQLObjectType,
        nodes: list[FieldNode],
        value: dict[str, Any],
        parent_id: str | None,
        lines: list[dict[str, Any]],
    ) -> None:
        children: list[tuple[GraphQLObjectType, list[FieldNode], dict[str, Any]]] = []
        line = self._inline(type_, nodes, value, children)
        if parent_id is not None:
            line["__parentId"] = parent_id
        lines.append(line)
        for child_type, child_nodes, child in children:
            self._emit(child_type, child_nodes, child, value.get("id"), lines)

    def _inline(
        self,
        type_: GraphQLObjectType,
        nodes: list[FieldNode],
        value: dict[str, Any],
        children: list[tuple[GraphQLObjectType, list[FieldNode], dict[str, Any]]],
    ) -> dict[str, Any]:
        """``value`` without its connections, which go to ``children``."""
        line: dict[str, Any] = {}
        for key, field_nodes in self.sub_fields(type_, nodes).items():
            name = field_nodes[0].name.value
            inner = value.get(key)
            named = (
                None
                if name.startswith("__")
                else get_named_type(type_.fields[name].type)
            )
            if isinstance(named, GraphQLObjectType) and is_connection(named):
                children.extend(self._items(named, field_nodes, inner))
            elif isinstance(named, GraphQLObjectType) and isinstance(inner, dict):
                line[key] = self._inline(named, field_nodes, inner, children)
            else:
                line[key] = inner
        return line
