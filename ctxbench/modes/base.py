"""The reasoning-mode registry: a mode is a function that drives an episode until it ends, with the
scaffolding the config switches on (modes use the pieces that apply to them)."""

from collections.abc import Callable

from ctxbench.episode import Episode
from ctxbench.modes.scaffold import ScaffoldConfig
from ctxbench.registry import Registry

Mode = Callable[[Episode, ScaffoldConfig], None]
MODES: Registry[Mode] = Registry("reasoning mode")
