"""A simulated Shopify shop speaking the Admin GraphQL API 2026-10 over loopback HTTP.

``from tests.simulator import Simulator``; see ``simulator.Simulator`` for the API and
each module's docstring for what it models and assumes.
"""

from .clock import VirtualClock
from .simulator import Simulator
from .state import Stats, VariantHandle

__all__ = ["Simulator", "Stats", "VariantHandle", "VirtualClock"]
