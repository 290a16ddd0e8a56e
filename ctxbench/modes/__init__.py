"""Reasoning modes by name. Importing a mode module registers it."""

from ctxbench.episode import MODES
from ctxbench.modes import agentic, controller  # noqa: F401  (registration)

__all__ = ["MODES"]
