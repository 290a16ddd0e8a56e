"""Where shared, re-usable files live (model weights, built wheels): a cache outside the repo."""

import os
from pathlib import Path


def cache_dir() -> Path:
    root = os.environ.get("CTXBENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ctxbench"
    )
    return Path(root)


def sandbox_site_packages() -> Path:
    """The bubblewrap sandbox's own packages (scripts/sandbox_env.sh): analysis packages only, no datasets."""
    return cache_dir() / "sandbox-site-packages"
