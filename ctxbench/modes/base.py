"""The reasoning-mode registry: a mode is a function that drives an episode until it ends."""

from collections.abc import Callable

from ctxbench.episode import Episode
from ctxbench.registry import Registry

MODES: Registry[Callable[[Episode], None]] = Registry("reasoning mode")
