#!/usr/bin/env python3
"""Run what a config describes: `python script.py --config config.json` (same flags as run_bench.py)."""

import sys

from ctxbench.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="script.py"))
