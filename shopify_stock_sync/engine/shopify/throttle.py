"""Cost-aware pacing from ``extensions.cost.throttleStatus``.

Shopify meters each app on a shop with a leaky bucket of cost points.  Every answer says
how full it is; the client keeps the last reading and, before the next request, waits
just long enough for the bucket to hold that request's cost, instead of being refused.

>>> bucket = CostBucket()
>>> bucket.wait_for(50, now=0.0)     # nothing known yet: go
0.0
>>> bucket.observe({"maximumAvailable": 1000, "currentlyAvailable": 20,
...                 "restoreRate": 100}, now=0.0)
>>> bucket.wait_for(50, now=0.0)
0.3
>>> bucket.wait_for(50, now=1.0)     # 120 points back after a second
0.0
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CostBucket:
    maximum: float | None = None
    available: float | None = None
    restore_rate: float | None = None
    observed_at: float = 0.0

    def observe(self, status: dict | None, now: float) -> None:
        """Record a ``throttleStatus`` reading taken at ``now``."""
        if not status:
            return
        try:
            self.maximum = float(status["maximumAvailable"])
            self.available = float(status["currentlyAvailable"])
            self.restore_rate = float(status["restoreRate"])
        except (KeyError, TypeError, ValueError):
            return
        self.observed_at = now

    def estimate(self, now: float) -> float | None:
        """Points available at ``now``, from the last reading and the restore rate."""
        if self.available is None or not self.restore_rate or self.maximum is None:
            return None
        restored = self.available + (now - self.observed_at) * self.restore_rate
        return min(self.maximum, restored)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds to wait before a request of ``cost`` points fits in the bucket."""
        available = self.estimate(now)
        if available is None or not self.restore_rate:
            return 0.0
        cost = min(cost, self.maximum or cost)
        if available >= cost:
            return 0.0
        return round((cost - available) / self.restore_rate, 3)
