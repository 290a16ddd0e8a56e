"""Reasoning modes by name. Importing a mode module registers it."""

from ctxbench.modes import agentic, controller, direct  # noqa: F401  (registration)
from ctxbench.modes.base import MODES

__all__ = ["MODES"]
