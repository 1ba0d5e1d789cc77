"""When a failed push tries again: the queue's retry pattern, never sooner than Shopify
asks.

A retry pattern maps an attempt number to the seconds to wait after it (queue_job's
``retry_pattern``): the entry of the highest attempt reached applies.

>>> PATTERN = {1: 10, 2: 30, 3: 60, 4: 300, 6: 900}
>>> [retry_delay(attempt, PATTERN) for attempt in (1, 2, 3, 4, 5, 6, 9)]
[10, 30, 60, 300, 300, 900, 900]
>>> retry_delay(1, PATTERN, retry_after=42.4)   # Shopify asked for more: wait that
43
>>> retry_delay(3, PATTERN, retry_after=2.0)    # the pattern asks for more
60
>>> retry_delay(2, {})                          # no pattern: queue_job's default
600
>>> is_last_attempt(8, 8), is_last_attempt(7, 8), is_last_attempt(50, 0)
(True, False, False)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# queue_job's delay when a job function has no retry pattern (RETRY_INTERVAL)
DEFAULT_DELAY = 600


def retry_delay(
    attempt: int,
    pattern: Mapping[int | str, float] | None,
    retry_after: float | None = None,
) -> int:
    """Whole seconds to wait after failed attempt ``attempt`` (1 for the first)."""
    delay = DEFAULT_DELAY if not pattern else 0
    for count, seconds in sorted((int(k), v) for k, v in (pattern or {}).items()):
        if attempt >= count:
            delay = seconds
        else:
            break
    if retry_after:
        delay = max(delay, retry_after)
    return math.ceil(delay)


def is_last_attempt(attempt: int, max_attempts: int) -> bool:
    """Whether attempt ``attempt`` is the last one (``max_attempts`` 0: no limit)."""
    return bool(max_attempts) and attempt >= max_attempts
