"""queue_job's job runner configuration, read the way queue_job 19.0 reads it.

Two settings decide whether this addon's jobs ever run:

* ``server_wide_modules`` must contain ``queue_job`` (its runner starts with the
  server);
* the ``[queue_job] channels`` setting (or ``ODOO_QUEUE_JOB_CHANNELS``; default
  ``root:1``) must give the addon's channel some capacity.

:func:`parse_channels` follows ``ChannelManager.parse_simple_config`` of
``queue_job/jobrunner/channels.py`` (``name(:capacity(:key(=value)?)*)?``, commas or
line breaks, blanks ignored, a missing capacity is 1) and :func:`channel_capacity`
follows its scheduling: a job waits in its channel and in every parent up to ``root``;
a capacity of 0 or none means no limit of its own (``Channel.has_capacity``), except
that a setting starting with ``root:0`` disables the runner (``_is_runner_enabled``);
a paused channel runs nothing; an unconfigured channel runs within its parents.

>>> parse_channels("root:2, shopify_stock_sync:1:sequential")
[{'name': 'root', 'capacity': 2}, {'name': 'shopify_stock_sync', 'capacity': 1, \
'sequential': True}]
>>> channel_capacity("root:4,root.shopify_stock_sync:1", "root.shopify_stock_sync")
1
>>> channel_capacity("root:2", "root.shopify_stock_sync")
2
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEFAULT_CHANNELS = "root:1"  # queue_job's default when nothing is configured
ROOT = "root"


def _split_strip(text: str, sep: str) -> list[str]:
    return [part.strip() for part in text.split(sep)]


def parse_channels(config: str) -> list[dict[str, Any]]:
    """Every channel entry of a channels setting; ``ValueError`` where queue_job
    would refuse it."""
    entries = []
    for item in _split_strip(config.replace("\n", ","), ","):
        if not item:
            continue  # trailing commas, commented lines
        parts = _split_strip(item, ":")
        name = parts[0]
        if not name:
            raise ValueError(f"Entry {item!r} has no channel name.")
        entry: dict[str, Any] = {"name": name, "capacity": 1}
        if len(parts) > 1:
            try:
                entry["capacity"] = int(parts[1])
            except ValueError:
                raise ValueError(
                    f"Channel {name!r} has an invalid capacity {parts[1]!r}."
                ) from None
        for option in parts[2:]:
            pair = _split_strip(option, "=")
            if len(pair) > 2:
                raise ValueError(f"Channel {name!r} has an invalid option {option!r}.")
            key, value = pair if len(pair) == 2 else (pair[0], True)
            if key in entry:
                raise ValueError(f"Channel {name!r} sets {key!r} twice.")
            entry[key] = value
        _check_options(entry)
        entries.append(entry)
    return entries


def _check_options(entry: dict[str, Any]) -> None:
    """What ``Channel.configure`` refuses when the runner starts."""
    try:
        int(entry.get("throttle", 0))
    except ValueError:
        raise ValueError(
            f"Channel {entry['name']!r} has an invalid throttle {entry['throttle']!r}."
        ) from None
    if entry.get("sequential") and entry["capacity"] != 1:
        raise ValueError(
            f"Channel {entry['name']!r} is sequential, so its capacity must be 1."
        )


def full_name(name: str) -> str:
    """``shopify_stock_sync`` → ``root.shopify_stock_sync`` (root may be omitted)."""
    if name == ROOT or name.startswith(ROOT + "."):
        return name
    return f"{ROOT}.{name}"


def runner_enabled(config: str | None) -> bool:
    """queue_job's own test: a setting that starts with ``root:0`` disables it."""
    return not (config or DEFAULT_CHANNELS).strip().startswith("root:0")


def channel_capacity(config: str | None, channel: str) -> int | None:
    """How many of ``channel``'s jobs may run at once: 0 when none can (runner off,
    or a paused channel on the way), None when no channel on the way sets a limit
    (a root of capacity 0 that does not start the setting)."""
    if not runner_enabled(config):
        return 0
    configured = {
        full_name(entry["name"]): entry
        for entry in parse_channels(config or DEFAULT_CHANNELS)
    }
    parts = full_name(channel).split(".")
    limits = []
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        entry = configured.get(name)
        if entry is None:
            # The root channel exists with a capacity of 1; others are unlimited.
            limits.append(1 if name == ROOT else None)
            continue
        if entry.get("paused"):
            return 0
        limits.append(entry["capacity"])
    real = [limit for limit in limits if limit]
    return min(real) if real else None


def has_module(
    server_wide_modules: str | Iterable[str] | None, module: str = "queue_job"
) -> bool:
    """Whether ``server_wide_modules`` (the setting's text, or Odoo's parsed list)
    names ``module``."""
    if isinstance(server_wide_modules, str) or server_wide_modules is None:
        modules = _split_strip(server_wide_modules or "", ",")
    else:
        modules = [m.strip() for m in server_wide_modules]
    return module in modules
