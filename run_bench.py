#!/usr/bin/env python3
"""Run an episode: config.json plus flag overrides (--task, --policy-type, --reasoning-mode, ...)."""

import sys

from ctxbench.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="run_bench.py"))
