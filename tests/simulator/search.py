"""A small part of Shopify's search syntax, for the ``query:`` argument of connections.

Supported: ``key:value`` terms (``sku:ABC-1``, ``barcode:"12 34"``), implicit AND,
``OR`` between groups, ``-key:value`` to negate, a trailing ``*`` for a prefix match,
and bare words matched against a resource's default fields.  Values compare
case-insensitively and exactly (modelled assumption: Shopify's tokenisation is not
reproduced).  Unknown keys are ignored, as Shopify ignores filters it does not know.

>>> fields = {"sku": ["ABC-1"], "barcode": ["123"]}
>>> matches("sku:abc-1", fields), matches("sku:ABC", fields), matches("sku:AB*", fields)
(True, False, True)
>>> matches("sku:X OR barcode:123", fields), matches("-sku:ABC-1", fields)
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(r'(-?)(?:(\w+):)?("(?:[^"\\]|\\.)*"|\'[^\']*\'|\S+)')


@dataclass(frozen=True)
class Term:
    key: str | None  # None: a bare word
    value: str
    negated: bool = False


def parse(query: str) -> list[list[Term]]:
    """Groups of terms: a resource matches when every term of some group matches."""
    groups: list[list[Term]] = [[]]
    for negated, key, raw in _TOKEN.findall(query or ""):
        if not key and not negated and raw in ("OR", "AND"):
            if raw == "OR":
                groups.append([])
            continue
        value = raw
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].replace('\\"', '"')
        groups[-1].append(Term(key.lower() if key else None, value, bool(negated)))
    return [group for group in groups if group] or [[]]


def _value_matches(pattern: str, values: Sequence[str | None]) -> bool:
    wanted = pattern.casefold()
    for value in values:
        if value is None:
            continue
        text = str(value).casefold()
        if wanted.endswith("*") and text.startswith(wanted[:-1]):
            return True
        if text == wanted:
            return True
    return False


def matches(
    query: str | None,
    fields: Mapping[str, Sequence[str | None]],
    default_keys: Sequence[str] = ("sku", "title"),
) -> bool:
    """Whether a resource with these searchable ``fields`` matches ``query``."""
    if not query or not query.strip():
        return True
    for group in parse(query):
        if all(_term_matches(term, fields, default_keys) for term in group):
            return True
    return False


def _term_matches(
    term: Term, fields: Mapping[str, Sequence[str | None]], default_keys: Sequence[str]
) -> bool:
    if term.key is None:
        values = [v for key in default_keys for v in fields.get(key, ())]
    elif term.key in fields:
        values = list(fields[term.key])
    else:
        return True  # an unknown filter is ignored
    return _value_matches(term.value, values) != term.negated
