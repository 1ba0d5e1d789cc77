"""Injected faults: a queue of "the next n requests" plus an optional random rate."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = (
    "http_500",
    "http_502",
    "http_503",
    "timeout",  # stall, then answer 504 without having executed anything
    "timeout_after_apply",  # execute (writes applied), stall, then answer
    "lost_reply",  # execute, then close the connection without an answer
    "throttled",  # THROTTLED whatever the bucket holds (HTTP per throttle_http_status)
    "http_429",  # THROTTLED with HTTP 429 and Retry-After
)
DEFAULT_RATE_KINDS = ("http_500", "http_502", "http_503", "throttled")


@dataclass
class Injection:
    kind: str
    remaining: int
    operation: str | None


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown fault {kind!r}: use one of {', '.join(KINDS)}")
    return kind


class Faults:
    """Decides, request by request, which fault (if any) to play.  Not thread-safe:
    the caller holds the shop's lock."""

    def __init__(self) -> None:
        self._queue: list[Injection] = []
        self._rate = 0.0
        self._kinds: tuple[str, ...] = DEFAULT_RATE_KINDS
        self._random = random.Random(0)

    def inject(self, kind: str, count: int = 1, operation: str | None = None) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        self._queue.append(Injection(check_kind(kind), count, operation))

    def set_rate(self, rate: float, kinds: Iterable[str], seed: int) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        chosen = tuple(check_kind(kind) for kind in kinds)
        if rate and not chosen:
            raise ValueError("a fault rate needs at least one kind")
        self._rate, self._kinds, self._random = rate, chosen, random.Random(seed)

    def take(self, operation: str | None) -> str | None:
        """The fault for the next request of ``operation``, consuming it."""
        for injection in self._queue:
            if injection.operation is None or injection.operation == operation:
                injection.remaining -= 1
                if injection.remaining == 0:
                    self._queue.remove(injection)
                return injection.kind
        if self._rate and self._random.random() < self._rate:
            return self._random.choice(self._kinds)
        return None

    def clear(self) -> None:
        self._queue.clear()
        self._rate = 0.0
