"""Virtual time: the simulator's cost bucket, tokens and bulk operations run on it."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from functools import lru_cache

# A fixed, realistic start (2026-11-02T00:00:00Z) so timestamps look like Shopify's.
EPOCH = datetime(2026, 11, 2, tzinfo=timezone.utc).timestamp()


class VirtualClock:
    """Seconds as a float that only move when told to; safe to share between threads.

    ``sleep`` is ``advance``: it returns at once, so code under test that paces itself
    with an injected ``sleep`` runs in no real time.

    >>> clock = VirtualClock(start=10.0)
    >>> clock.sleep(2.5)
    >>> clock.now()
    12.5
    >>> clock.iso(0)
    '1970-01-01T00:00:00Z'
    """

    def __init__(self, start: float = EPOCH) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (never back) and return the new time."""
        if seconds < 0:
            raise ValueError(f"time cannot go back ({seconds} s)")
        with self._lock:
            self._now += float(seconds)
            return self._now

    def sleep(self, seconds: float) -> None:
        """Like ``time.sleep`` on the virtual clock: advances and returns at once."""
        self.advance(max(0.0, float(seconds)))

    def iso(self, moment: float | None = None) -> str:
        """``moment`` (default now) as Shopify prints a DateTime."""
        return _iso(int(self.now() if moment is None else moment))


class RealClock(VirtualClock):
    """A clock that follows real time (``time.monotonic``) from ``start``, for a
    simulator called by another process (an Odoo job runner) whose pacing sleeps for
    real.  ``advance`` still moves it forward at once; ``sleep`` really sleeps.

    >>> clock = RealClock(start=10.0)
    >>> clock.advance(5.0) >= 15.0
    True
    >>> before = clock.now(); clock.sleep(0.01); clock.now() - before >= 0.01
    True
    """

    def __init__(self, start: float = EPOCH) -> None:
        super().__init__(start)
        self._origin = time.monotonic()

    def now(self) -> float:
        with self._lock:
            return self._now + (time.monotonic() - self._origin)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"time cannot go back ({seconds} s)")
        with self._lock:
            self._now += float(seconds)
            return self._now + (time.monotonic() - self._origin)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, float(seconds)))


@lru_cache(maxsize=4096)
def _iso(seconds: int) -> str:
    stamp = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
