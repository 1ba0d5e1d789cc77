"""A shop's whole state as bytes, and back: what the sandbox keeps in its state file.

The state is a pickle of the ``Shop`` (catalogue, levels, credentials, subscriptions,
pending and sent deliveries, bulk operations, counters, the next number of each kind
of id) in which the clock and the locks are left out by reference: :func:`load` makes
them anew (a clock of the same kind going on from the saved time, one fresh lock per
saved lock, still shared where it was shared).  Faults and HTTP settings belong to the
``Simulator``, not the shop, and are not kept.

A pickle runs code when read: only load a file the sandbox wrote itself.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
import threading
from pathlib import Path
from typing import Any

from .clock import RealClock, VirtualClock
from .state import Shop

FORMAT = 1
CLOCKS: dict[str, type[VirtualClock]] = {
    "virtual": VirtualClock,
    "real": RealClock,
}
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


class StateError(Exception):
    """The bytes are not a state this module wrote (or not of this format)."""


class _Pickler(pickle.Pickler):
    """Writes the clock and every lock as a reference, not as data."""

    def __init__(self, file: io.BytesIO, shop: Shop) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._clock = shop.clock
        self._locks: dict[int, str] = {}

    def persistent_id(self, obj: Any) -> str | None:
        if obj is self._clock:
            return "clock"
        if isinstance(obj, _LOCK_TYPES):
            kind = "rlock" if isinstance(obj, _LOCK_TYPES[1]) else "lock"
            return self._locks.setdefault(id(obj), f"{kind}:{len(self._locks)}")
        return None


class _Unpickler(pickle.Unpickler):
    """Gives back a new clock and new locks for the references ``_Pickler`` wrote."""

    def __init__(self, file: io.BytesIO, clock: VirtualClock) -> None:
        super().__init__(file)
        self._clock = clock
        self._locks: dict[str, Any] = {}

    def persistent_load(self, pid: Any) -> Any:
        if pid == "clock":
            return self._clock
        if not isinstance(pid, str) or not pid.startswith(("lock:", "rlock:")):
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        if pid not in self._locks:
            rlock = pid.startswith("rlock:")
            self._locks[pid] = threading.RLock() if rlock else threading.Lock()
        return self._locks[pid]


def shop_bytes(shop: Shop) -> bytes:
    """The shop without its clock's time: equal bytes mean nothing else changed.

    Take ``shop.lock`` around it (the sandbox compares these to save only changes)."""
    buffer = io.BytesIO()
    _Pickler(buffer, shop).dump(shop)
    return buffer.getvalue()


def dump(shop: Shop, extra: dict[str, Any] | None = None) -> bytes:
    """The whole state of ``shop`` (and the caller's ``extra`` values) as bytes."""
    with shop.lock:
        kind = "real" if isinstance(shop.clock, RealClock) else "virtual"
        envelope = {
            "format": FORMAT,
            "clock": (kind, shop.clock.now()),
            "shop": shop_bytes(shop),
            "extra": dict(extra or {}),
        }
    return pickle.dumps(envelope, protocol=pickle.HIGHEST_PROTOCOL)


def load(data: bytes) -> tuple[Shop, dict[str, Any]]:
    """The shop :func:`dump` wrote, with a new clock going on from the saved time and
    new locks, and its ``extra`` values.  :class:`StateError` if ``data`` is not one."""
    try:
        envelope = pickle.loads(data)  # the sandbox's own file
        if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
            raise StateError(f"not a simulator state of format {FORMAT}")
        kind, now = envelope["clock"]
        clock = CLOCKS[kind](start=float(now))
        shop = _Unpickler(io.BytesIO(envelope["shop"]), clock).load()
        extra = envelope["extra"]
    except StateError:
        raise
    except Exception as exc:  # any damage: truncated, foreign, of another version
        raise StateError(f"unreadable simulator state: {exc}") from exc
    if not isinstance(shop, Shop) or not isinstance(extra, dict):
        raise StateError("the state holds no shop")
    if _attributes(shop) != _attributes(Shop(shop.plan, clock, shop.domain)):
        raise StateError("the state was saved by another version of the simulator")
    return shop, extra


def _attributes(shop: Shop) -> tuple[set[str], set[str]]:
    """The names a shop and its webhooks hold: a state saved before a change of
    ``Shop`` lacks some (or has others) and would fail later, mid-request."""
    return set(vars(shop)), set(vars(shop.webhooks))


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once: a reader (or a crash) sees the old
    file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
