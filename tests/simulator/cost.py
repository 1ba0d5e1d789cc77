"""Query cost and the leaky bucket, after Shopify's published rules.

Requested cost is computed from the document before anything runs:

* scalar and enum fields cost 0, every object 1 (a list of objects that is not a
  connection also counts 1: its length is unknown before execution);
* a connection costs 2 + ``first`` (or ``last``) x the cost of one node;
* ``nodes(ids:)`` costs ``len(ids)`` x the cost of one node (abstract types: the most
  expensive of their possible selections);
* a mutation field costs 10 + its payload's selection (the payload object is free).

Actual cost counts the same way over what was returned: connections by the nodes they
hold, ``nodes(ids:)`` by the non-null nodes, a plain list as its dearest element, absent
objects 0.  The difference is given back to the bucket after the request.

Modelled assumptions (Shopify publishes the restore rates, not the bucket sizes):
bucket 1,000 / 2,000 / 10,000 points restoring 100 / 200 / 1,000 points per second for
the standard / advanced / plus plans; one query may request at most 1,000 points; input
arrays and page sizes are capped at 250.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLCompositeType,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    is_abstract_type,
    is_composite_type,
    is_object_type,
)
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from graphql.execution.values import get_argument_values

PLANS: dict[str, tuple[float, float]] = {
    # plan: (maximumAvailable, restoreRate)
    "standard": (1000.0, 100.0),
    "advanced": (2000.0, 200.0),
    "plus": (10000.0, 1000.0),
}
MAX_QUERY_COST = 1000
MAX_INPUT_SIZE = 250
MAX_PAGE_SIZE = 250
MUTATION_COST = 10
CONNECTION_COST = 2
RATE_LIMITS_DOC = "https://shopify.dev/api/usage/rate-limits"


def plan_limits(plan: str) -> tuple[float, float]:
    try:
        return PLANS[plan]
    except KeyError:
        raise ValueError(f"unknown plan {plan!r}: use one of {sorted(PLANS)}") from None


@dataclass
class Bucket:
    """A leaky bucket of cost points restoring ``restore_rate`` per virtual second."""

    maximum: float
    restore_rate: float
    updated_at: float
    available: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.available < 0:
            self.available = self.maximum

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated_at)
        self.available = min(self.maximum, self.available + elapsed * self.restore_rate)
        self.updated_at = max(self.updated_at, now)

    def take(self, points: float) -> bool:
        """Charge ``points`` if the bucket holds them; if not, charge nothing: False."""
        if points > self.available:
            return False
        self.available -= points
        return True

    def refund(self, points: float) -> None:
        self.available = min(self.maximum, self.available + max(0.0, points))

    def seconds_until(self, points: float) -> float:
        return max(0.0, points - self.available) / self.restore_rate

    def status(self) -> dict[str, float | int]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": int(self.available),
            "restoreRate": self.restore_rate,
        }


def is_connection(type_: GraphQLNamedType) -> bool:
    return is_object_type(type_) and type_.name.endswith("Connection")


@dataclass
class Analysis:
    """The requested cost of an operation and what must refuse it before it runs."""

    requested: int
    errors: list[GraphQLError]


def analyse(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
) -> Analysis:
    """Requested cost, and input-size and page-size errors, of a valid operation."""
    walker = _Walker(schema, dict(fragments), variables)
    mutation = operation.operation == OperationType.MUTATION
    root = schema.mutation_type if mutation else schema.query_type
    assert root is not None
    total = 0
    for nodes in collect_fields(
        schema, walker.fragments, variables, root, operation.selection_set
    ).values():
        cost = walker.field_cost(root, nodes)
        if mutation:
            cost = MUTATION_COST + max(0, cost - 1)
        total += cost
    return Analysis(total, walker.errors)


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.errors: list[GraphQLError] = []
        self._memo: dict[tuple[str, tuple[int, ...]], dict[str, list[FieldNode]]] = {}

    def _sub_fields(
        self, type_: GraphQLObjectType, nodes: list[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        key = (type_.name, tuple(id(node) for node in nodes))
        found = self._memo.get(key)
        if found is None:
            found = collect_sub_fields(
                self.schema, self.fragments, self.variables, type_, nodes
            )
            self._memo[key] = found
        return found

    def selection_cost(
        self, type_: GraphQLCompositeType, nodes: list[FieldNode]
    ) -> int:
        """Cost of one object of ``type_`` with the selections of ``nodes``."""
        if is_abstract_type(type_):
            possible = self.schema.get_possible_types(type_)  # type: ignore[arg-type]
            return max((self._object_cost(t, nodes) for t in possible), default=1)
        assert isinstance(type_, GraphQLObjectType)
        return self._object_cost(type_, nodes)

    def _object_cost(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> int:
        sub = self._sub_fields(type_, nodes)
        return 1 + sum(
            self.field_cost(type_, field_nodes) for field_nodes in sub.values()
        )

    def field_cost(self, parent: GraphQLObjectType, nodes: list[FieldNode]) -> int:
        node = nodes[0]
        name = node.name.value
        if name.startswith("__"):
            return 0
        field_def = parent.fields[name]
        args = get_argument_values(field_def, node, self.variables)
        self._check_input_sizes(node, name, args)
        named = get_named_type(field_def.type)
        if not is_composite_type(named):
            return 0
        if parent is self.schema.query_type and name == "nodes":
            return len(args.get("ids") or ()) * self.selection_cost(named, nodes)
        if is_connection(named):
            assert isinstance(named, GraphQLObjectType)
            size = self._page_size(node, args)
            return CONNECTION_COST + size * self._node_cost(named, nodes)
        return self.selection_cost(named, nodes)  # type: ignore[arg-type]

    def _node_cost(self, connection: GraphQLObjectType, nodes: list[FieldNode]) -> int:
        best = 0
        for field_nodes in self._sub_fields(connection, nodes).values():
            name = field_nodes[0].name.value
            if name == "nodes":
                node_type = get_named_type(connection.fields["nodes"].type)
                best = max(best, self.selection_cost(node_type, field_nodes))  # type: ignore[arg-type]
            elif name == "edges":
                edge = get_named_type(connection.fields["edges"].type)
                assert isinstance(edge, GraphQLObjectType)
                for edge_nodes in self._sub_fields(edge, field_nodes).values():
                    if edge_nodes[0].name.value == "node":
                        node_type = get_named_type(edge.fields["node"].type)
                        best = max(best, self.selection_cost(node_type, edge_nodes))  # type: ignore[arg-type]
        return best

    def _page_size(self, node: FieldNode, args: dict[str, Any]) -> int:
        name = "first" if args.get("first") is not None else "last"
        size: int | None = args.get(name)
        if size is None:
            self.errors.append(
                GraphQLError("you must provide one of first or last", node)
            )
            return 0
        if size < 0 or size > MAX_PAGE_SIZE:
            self.errors.append(
                GraphQLError(
                    f"The argument `{name}` must be between 0 and {MAX_PAGE_SIZE}.",
                    node,
                )
            )
            return 0
        return size

    def _check_input_sizes(self, node: FieldNode, name: str, args: Any) -> None:
        for path, size in _list_sizes(args, [name]):
            if size > MAX_INPUT_SIZE:
                self.errors.append(
                    GraphQLError(
                        f"The input array size of {size} is greater than the maximum "
                        f"allowed of {MAX_INPUT_SIZE}.",
                        node,
                        path=path,
                        extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
                    )
                )


def _list_sizes(value: Any, path: list[str | int]) -> list[tuple[list[str | int], int]]:
    """Every list inside an argument value, with its path and length."""
    found: list[tuple[list[str | int], int]] = []
    if isinstance(value, Mapping):
        for key, inner in value.items():
            found += _list_sizes(inner, [*path, key])
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        found.append((path, len(value)))
        for index, inner in enumerate(value):
            found += _list_sizes(inner, [*path, index])
    return found


def actual_cost(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    data: dict[str, Any] | None,
) -> int:
    """The cost of what an operation returned, by the rules of :func:`analyse`."""
    if not data:
        return 0
    walker = _Actual(schema, dict(fragments), variables)
    mutation = operation.operation == OperationType.MUTATION
    root = schema.mutation_type if mutation else schema.query_type
    assert root is not None
    total = 0
    fields = collect_fields(
        schema, walker.fragments, variables, root, operation.selection_set
    )
    for key, field_nodes, named, kind in walker.plan(root, fields):
        cost = walker.field_actual(named, field_nodes, kind, data.get(key))
        if mutation and cost:
            cost = MUTATION_COST + cost - 1
        total += cost
    return total


# What to count for one composite field of a selection: (response key, its nodes,
# its named type, "nodes" | "connection" | "value").  Leaf fields cost 0: left out.
Plan = list[tuple[str, list[FieldNode], GraphQLNamedType, str]]


class _Actual(_Walker):
    """Walks a result alongside its selections, counting what came back.  Selections
    are planned once per (type, field nodes), as a result repeats them per node."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._plans: dict[tuple[str, tuple[int, ...]], Plan] = {}
        self._shapes: dict[
            tuple[str, tuple[int, ...]], list[tuple[GraphQLObjectType, frozenset[str]]]
        ] = {}

    def plan(
        self, type_: GraphQLObjectType, fields: dict[str, list[FieldNode]]
    ) -> Plan:
        found: Plan = []
        for key, field_nodes in fields.items():
            name = field_nodes[0].name.value
            if name.startswith("__"):
                continue
            named = get_named_type(type_.fields[name].type)
            if not is_composite_type(named):
                continue
            if type_ is self.schema.query_type and name == "nodes":
                kind = "nodes"
            elif is_connection(named):
                kind = "connection"
            else:
                kind = "value"
            found.append((key, field_nodes, named, kind))
        return found

    def _planned(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> Plan:
        memo_key = (type_.name, tuple(id(node) for node in nodes))
        found = self._plans.get(memo_key)
        if found is None:
            found = self.plan(type_, self._sub_fields(type_, nodes))
            self._plans[memo_key] = found
        return found

    def field_actual(
        self, named: GraphQLNamedType, nodes: list[FieldNode], kind: str, value: Any
    ) -> int:
        if value is None:
            return 0
        if kind == "nodes":
            return sum(self.value_cost(named, nodes, item) for item in value)
        if kind == "connection":
            assert isinstance(named, GraphQLObjectType)
            return CONNECTION_COST + self._nodes_actual(named, nodes, value)
        if isinstance(value, list):  # a plain list costs as its dearest element
            return max((self.value_cost(named, nodes, v) for v in value), default=0)
        return self.value_cost(named, nodes, value)

    def value_cost(
        self, type_: GraphQLNamedType, nodes: list[FieldNode], value: Any
    ) -> int:
        if value is None:
            return 0
        if isinstance(type_, GraphQLObjectType):
            return self._object_actual(type_, nodes, value)
        # The result does not name its type: the candidates are the possible types
        # whose selections fit the keys returned; the dearest of them is charged.
        keys = value.keys()
        shapes = self._shapes_of(type_, nodes)
        costs = [self._object_actual(t, nodes, value) for t, k in shapes if k <= keys]
        return max(costs, default=1)  # no selection fits: the bare object

    def _shapes_of(
        self, type_: GraphQLNamedType, nodes: list[FieldNode]
    ) -> list[tuple[GraphQLObjectType, frozenset[str]]]:
        """The possible types with a selection here, and the keys it returns."""
        memo_key = (type_.name, tuple(id(node) for node in nodes))
        found = self._shapes.get(memo_key)
        if found is None:
            found = []
            for possible in self.schema.get_possible_types(type_):  # type: ignore[arg-type]
                keys = frozenset(self._sub_fields(possible, nodes))
                if keys:
                    found.append((possible, keys))
            self._shapes[memo_key] = found
        return found

    def _object_actual(
        self, type_: GraphQLObjectType, nodes: list[FieldNode], value: dict[str, Any]
    ) -> int:
        total = 1
        for key, field_nodes, named, kind in self._planned(type_, nodes):
            total += self.field_actual(named, field_nodes, kind, value.get(key))
        return total

    def _nodes_actual(
        self, connection: GraphQLObjectType, nodes: list[FieldNode], value: Any
    ) -> int:
        best = 0
        for key, field_nodes in self._sub_fields(connection, nodes).items():
            name = field_nodes[0].name.value
            listed = value.get(key) or []
            if name == "nodes":
                node_type = get_named_type(connection.fields["nodes"].type)
                spent = sum(self.value_cost(node_type, field_nodes, n) for n in listed)
                best = max(best, spent)
            elif name == "edges":
                edge = get_named_type(connection.fields["edges"].type)
                assert isinstance(edge, GraphQLObjectType)
                node_type = get_named_type(edge.fields["node"].type)
                for edge_key, edge_nodes in self._sub_fields(edge, field_nodes).items():
                    if edge_nodes[0].name.value == "node":
                        spent = sum(
                            self.value_cost(node_type, edge_nodes, e.get(edge_key))
                            for e in listed
                        )
                        best = max(best, spent)
        return best
