#!/usr/bin/env python3
"""What a paired study can detect, before it runs: for n paired repeats (each policy against
full_history on the same seed) and the reference's success rate, the smallest rise in success rate
the exact sign-flip test finds with 80 % power at the 5 % level (ctxbench/stats.py:paired_power,
0/1 scores, no within-pair correlation assumed, which is conservative).

    .venv/bin/python scripts/study_power.py                       # the table for n = 10, 20, 30, 50
    .venv/bin/python scripts/study_power.py --pairs 12 --reference 0.2
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.stats import smallest_detectable_gain

REFERENCE_RATES = (0.0, 0.1, 0.3, 0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, action="append", help="paired repeats (repeatable)")
    parser.add_argument("--reference", type=float, action="append", help="full_history's success rate")
    parser.add_argument("--power", type=float, default=0.8)
    parser.add_argument("--alpha", type=float, default=0.05)
    args = parser.parse_args()
    rates = args.reference or list(REFERENCE_RATES)
    print(f"smallest detectable rise in success rate ({args.power:.0%} power, two-sided alpha {args.alpha}):")
    print("pairs " + " ".join(f"from {p:4.2f}" for p in rates))
    for n in args.pairs or [10, 20, 30, 50]:
        gains = [smallest_detectable_gain(n, p, args.power, args.alpha) for p in rates]
        print(f"{n:5d} " + " ".join(f"{'  none' if g is None else f'+{g:.2f}':>9s}" for g in gains))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
