"""A reconciliation run: its plan, its chunks and a cursor that survives a crash.

A run compares every (link, mapping) pair of a shop.  It is cut into **chunks** the
Odoo side runs as separate queue jobs (no commits inside jobs), each retried alone:

1. :func:`plan_run` — from the number of pairs per link: chunks of whole links (a
   link's pairs stay together, so a link's findings are decided in one chunk), about
   ``chunk_size`` pairs each, and the snapshot mode (:func:`choose_snapshot`);
2. the snapshot — ``BULK``: one job runs ``inventory.snapshot_levels`` and sorts it
   with :func:`.findings.collect_snapshot` (the levels are kept for the chunks, split
   by :meth:`RunPlan.split_levels`); ``READ``: each chunk reads its own pairs with
   ``inventory.read_levels`` (one call per 250 pairs);
3. each chunk — :func:`.corrections.reconcile_chunk`: the diff, the actions, the
   mismatch report, the findings, its :class:`Progress`;
4. :class:`RunCursor` — which chunk is next, which failed (retried up to
   ``max_attempts``, then reported), the run's progress merged across chunks.

A chunk is named by **link-id bounds** (``first_link <= link id < end_link``), not by
position: chunks are contiguous, so a retried chunk re-selects exactly its links
(``[('link_id', '>=', first), ('link_id', '<', end)]``), links created since the plan
land in no chunk (Odoo ids only grow) and wait for the next run.

>>> plan = plan_run({1: 2, 2: 2, 5: 2, 9: 2}, chunk_size=4)
>>> [(c.first_link, c.end_link, c.pairs) for c in plan.chunks]
[(1, 5, 4), (5, 10, 4)]
>>> plan.mode.value
'read'
>>> cursor = RunCursor.start(plan)
>>> cursor = cursor.record_done(cursor.next_chunk(), Progress(4, 4, mismatches=1))
>>> cursor.progress
Progress(total=8, checked=4, mismatches=1, corrections=0, failures=0)
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from enum import Enum
from typing import Any, TypeVar

from .data import LevelKey
from .findings import CATALOGUE_KINDS, PAIR_KINDS, FindingKind

T = TypeVar("T")

DEFAULT_CHUNK_SIZE = 2_000
# Up to this many pairs a run reads its levels (4 calls of 250, 4,000 cost points:
# 40 s of the Standard plan's restore rate, taken from the push's bucket); beyond, one
# bulk operation (a few calls, a few points) is cheaper whatever the catalogue.
DEFAULT_BULK_THRESHOLD = 1_000
DEFAULT_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Progress:
    """A run's counters; chunk results add up (``a + b``, :meth:`merge`).

    ``total``: pairs to check; ``checked``: pairs compared; ``mismatches``: pairs
    whose quantities differ; ``corrections``: mismatches acted on (marked for the
    push, or an Odoo adjustment); ``failures``: pairs that could not be checked or
    corrected.
    """

    total: int = 0
    checked: int = 0
    mismatches: int = 0
    corrections: int = 0
    failures: int = 0

    def __add__(self, other: Progress) -> Progress:
        return Progress(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )

    @classmethod
    def merge(cls, parts: Iterable[Progress]) -> Progress:
        total = cls()
        for part in parts:
            total += part
        return total

    @property
    def percent(self) -> float:
        """How far the run is: pairs checked or failed, of the total (0 to 100)."""
        if not self.total:
            return 100.0
        return min(100.0, 100.0 * (self.checked + self.failures) / self.total)


class SnapshotMode(str, Enum):
    """How a run reads Shopify's levels."""

    BULK = "bulk"  # one bulk operation for the whole run, streamed JSONL
    READ = "read"  # each chunk reads its pairs, 250 per call


def choose_snapshot(
    pairs: int, bulk_threshold: int = DEFAULT_BULK_THRESHOLD
) -> SnapshotMode:
    """``BULK`` above ``bulk_threshold`` pairs, else ``READ``.

    Only ``BULK`` reads the whole catalogue, so only it finds unlinked items and
    unmapped locations with stock: pass ``bulk_threshold=0`` for a run that must.

    >>> choose_snapshot(1_000).value, choose_snapshot(1_001).value
    ('read', 'bulk')
    """
    if bulk_threshold < 0:
        raise ValueError(f"The bulk threshold must be 0 or more, not {bulk_threshold}.")
    return SnapshotMode.BULK if pairs > bulk_threshold else SnapshotMode.READ


@dataclass(frozen=True)
class Chunk:
    """The links ``first_link <= id < end_link`` of a run and all their pairs.

    ``pairs`` is their number when planned (the chunk may find a few more or fewer).
    """

    number: int
    first_link: int
    end_link: int
    pairs: int

    @property
    def name(self) -> str:
        """Stable across retries: ``links 17-4209``."""
        return f"links {self.first_link}-{self.end_link - 1}"

    def covers(self, link_id: int) -> bool:
        return self.first_link <= link_id < self.end_link


@dataclass(frozen=True)
class RunPlan:
    chunks: tuple[Chunk, ...]
    mode: SnapshotMode
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(chunk.pairs for chunk in self.chunks)

    @property
    def covers(self) -> frozenset[FindingKind]:
        """The finding kinds a completed run of this plan looks for everywhere."""
        if self.mode is SnapshotMode.BULK:
            return CATALOGUE_KINDS | PAIR_KINDS
        return PAIR_KINDS

    def chunk_for(self, link_id: int) -> Chunk | None:
        index = bisect.bisect_right([c.first_link for c in self.chunks], link_id) - 1
        if index >= 0 and self.chunks[index].covers(link_id):
            return self.chunks[index]
        return None

    def split_levels(
        self, items: Mapping[int, str], levels: Mapping[LevelKey, T]
    ) -> dict[int, dict[LevelKey, T]]:
        """A bulk snapshot's levels by chunk number, so that each chunk job loads only
        its own: a level goes to the chunk of every link of its inventory item
        (``items``: link id -> inventory item id); levels of items linked in no chunk
        go nowhere (they are findings, sorted out before).

        >>> plan = plan_run({1: 1, 2: 1}, chunk_size=1)
        >>> key = LevelKey("gid://shopify/InventoryItem/7", "gid://shopify/Location/1")
        >>> plan.split_levels({1: key.inventory_item_id, 2: "other"}, {key: 5})
        {0: {LevelKey(inventory_item_id='gid://shopify/InventoryItem/7', \
location_id='gid://shopify/Location/1'): 5}}
        """
        chunks_of_item: dict[str, set[int]] = {}
        for link_id, item in items.items():
            chunk = self.chunk_for(link_id)
            if chunk is not None:
                chunks_of_item.setdefault(item, set()).add(chunk.number)
        by_chunk: dict[int, dict[LevelKey, T]] = {}
        for key, level in levels.items():
            for number in chunks_of_item.get(key.inventory_item_id, ()):
                by_chunk.setdefault(number, {})[key] = level
        return by_chunk


def plan_run(
    pairs_per_link: Mapping[int, int],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
    dry_run: bool = False,
) -> RunPlan:
    """Cut a run into chunks of whole links, in link-id order.

    A chunk closes before a link that would take it past ``chunk_size`` pairs; a link
    with more pairs than that is a chunk of its own.  Links with no pair are left
    out.
    """
    if chunk_size < 1:
        raise ValueError(f"The chunk size must be at least 1, not {chunk_size}.")
    links = sorted(link for link, pairs in pairs_per_link.items() if pairs > 0)
    groups: list[list[int]] = []
    size = 0
    for link in links:
        pairs = pairs_per_link[link]
        if groups and size + pairs <= chunk_size:
            groups[-1].append(link)
            size += pairs
        else:
            groups.append([link])
            size = pairs
    chunks = tuple(
        Chunk(
            number=number,
            first_link=group[0],
            end_link=groups[number + 1][0]
            if number + 1 < len(groups)
            else links[-1] + 1,
            pairs=sum(pairs_per_link[link] for link in group),
        )
        for number, group in enumerate(groups)
    )
    total = sum(chunk.pairs for chunk in chunks)
    return RunPlan(chunks, choose_snapshot(total, bulk_threshold), dry_run)


class ChunkState(str, Enum):
    PENDING = "pending"  # not run yet, or failed and to be retried
    DONE = "done"
    FAILED = "failed"  # failed ``max_attempts`` times: reported, not retried


@dataclass(frozen=True)
class ChunkStatus:
    chunk: Chunk
    state: ChunkState = ChunkState.PENDING
    attempts: int = 0
    progress: Progress = Progress()
    message: str = ""


class RunState(str, Enum):
    RUNNING = "running"
    DONE = "done"
    DONE_WITH_FAILURES = "done_with_failures"


@dataclass(frozen=True)
class RunCursor:
    """Where a run stands, chunk by chunk; every update returns a new cursor.

    The Odoo side keeps it on the run record (:meth:`to_dict` / :meth:`from_dict`,
    or one record per chunk) and asks :meth:`next_chunk` what to enqueue.
    """

    plan: RunPlan
    statuses: tuple[ChunkStatus, ...]
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    @classmethod
    def start(
        cls, plan: RunPlan, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> RunCursor:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1.")
        return cls(plan, tuple(ChunkStatus(c) for c in plan.chunks), max_attempts)

    def status(self, chunk: Chunk) -> ChunkStatus:
        for status in self.statuses:
            if status.chunk == chunk:
                return status
        raise KeyError(f"{chunk.name} is not a chunk of this run.")

    def next_chunk(self) -> Chunk | None:
        """The first chunk still to run (a failed one comes back after the others)."""
        pending = [s for s in self.statuses if s.state is ChunkState.PENDING]
        fresh = [s for s in pending if not s.attempts]
        chosen = (fresh or pending or [None])[0]
        return chosen.chunk if chosen else None

    def record_done(self, chunk: Chunk, progress: Progress) -> RunCursor:
        return self._update(chunk, state=ChunkState.DONE, progress=progress)

    def record_failure(self, chunk: Chunk, message: str) -> RunCursor:
        """A chunk's job failed: pending again until its last attempt, then failed."""
        attempts = self.status(chunk).attempts + 1
        state = (
            ChunkState.FAILED if attempts >= self.max_attempts else ChunkState.PENDING
        )
        return self._update(chunk, state=state, attempts=attempts, message=message)

    def _update(self, chunk: Chunk, **changes: Any) -> RunCursor:
        self.status(chunk)  # raises for a chunk of another run
        statuses = tuple(
            replace(s, **changes) if s.chunk == chunk else s for s in self.statuses
        )
        return replace(self, statuses=statuses)

    @property
    def state(self) -> RunState:
        states = {s.state for s in self.statuses}
        if ChunkState.PENDING in states:
            return RunState.RUNNING
        if ChunkState.FAILED in states:
            return RunState.DONE_WITH_FAILURES
        return RunState.DONE

    @property
    def finished(self) -> bool:
        return self.state is not RunState.RUNNING

    @property
    def progress(self) -> Progress:
        """Done chunks' counters; a chunk failed for good counts its pairs failed."""
        done = Progress.merge(
            s.progress for s in self.statuses if s.state is ChunkState.DONE
        )
        lost = sum(s.chunk.pairs for s in self.statuses if s.state is ChunkState.FAILED)
        return replace(done, total=self.plan.total, failures=done.failures + lost)

    @property
    def covers(self) -> frozenset[FindingKind]:
        """Finding kinds the run may close (:func:`.findings.findings_delta`):
        those of its plan once every chunk is done, none before or after a loss."""
        return self.plan.covers if self.state is RunState.DONE else frozenset()

    @property
    def failures(self) -> list[str]:
        """Why chunks failed for good, in an operator's words."""
        return [
            self.failure_of(s.chunk)
            for s in self.statuses
            if s.state is ChunkState.FAILED
        ]

    def failure_of(self, chunk: Chunk) -> str:
        """What a chunk's last failure means, in an operator's words: given up, or
        tried again after the other chunks (``""`` for a chunk that never failed)."""
        status = self.status(chunk)
        if not status.attempts or status.state is ChunkState.DONE:
            return ""
        about = f"Chunk {chunk.number + 1} ({chunk.name}, {chunk.pairs} pairs)"
        if status.state is ChunkState.FAILED:
            return (
                f"{about} failed {status.attempts} times and was given up: "
                f"{status.message}"
            )
        return (
            f"{about} FAILED (attempt {status.attempts} of {self.max_attempts}), "
            f"nothing of it was kept: {status.message.rstrip('.')}. It is tried "
            "again after the other chunks."
        )

    # -- storage ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (the run record's field)."""
        return {
            "mode": self.plan.mode.value,
            "dry_run": self.plan.dry_run,
            "max_attempts": self.max_attempts,
            "chunks": [
                {
                    "number": s.chunk.number,
                    "first_link": s.chunk.first_link,
                    "end_link": s.chunk.end_link,
                    "pairs": s.chunk.pairs,
                    "state": s.state.value,
                    "attempts": s.attempts,
                    "message": s.message,
                    "progress": [getattr(s.progress, f.name) for f in fields(Progress)],
                }
                for s in self.statuses
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunCursor:
        statuses = tuple(
            ChunkStatus(
                Chunk(c["number"], c["first_link"], c["end_link"], c["pairs"]),
                ChunkState(c["state"]),
                c["attempts"],
                Progress(*c["progress"]),
                c["message"],
            )
            for c in data["chunks"]
        )
        plan = RunPlan(
            tuple(s.chunk for s in statuses),
            SnapshotMode(data["mode"]),
            bool(data["dry_run"]),
        )
        return cls(plan, statuses, int(data["max_attempts"]))
