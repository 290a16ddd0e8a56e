#!/usr/bin/env python3
"""Builds benchmarks/humaneval_fix/mutants.json: for each HumanEval problem, the first seeded
mutation of its canonical solution that fails the official tests (run in the sandbox, as grading
does), or none. Deterministic: the same seed gives the same file on every machine.

    .venv/bin/python scripts/make_humaneval_fix.py            # all 164 problems, seed 0
    .venv/bin/python scripts/make_humaneval_fix.py --check    # regenerate and compare, write nothing
"""

import argparse
import json
import sys
import tempfile
from collections import Counter
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.humaneval.check import passes
from benchmarks.humaneval.task import load_problems
from benchmarks.humaneval_fix.mutate import first_failing
from benchmarks.humaneval_fix.task import MUTANTS_FILE
from ctxbench.sandbox import SandboxConfig, make_sandbox

TIMEOUT_S = 15.0


def official_check_fails(problem: dict, code: str) -> bool:
    with (
        tempfile.TemporaryDirectory() as tmp,
        make_sandbox(SandboxConfig(memory_mb=2048), Path(tmp) / "w", None) as box,
    ):
        return not passes(box, code, problem, problem["test"], TIMEOUT_S)


def build(seed: int) -> dict:
    mutants = {}
    for index, problem in enumerate(load_problems()):
        mutant = first_failing(problem, seed, partial(official_check_fails, problem))
        if mutant is not None:
            mutants[str(index)] = {"operator": mutant.operator, "site": mutant.site, "code": mutant.code}
        print(f"{index:3d} {mutant.operator if mutant else '-'}", flush=True)
    return {"seed": seed, "made_by": "scripts/make_humaneval_fix.py", "mutants": mutants}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="compare with the stored file instead of writing it")
    args = parser.parse_args()
    built = build(args.seed)
    print(
        f"{len(built['mutants'])} problems with a bug:", dict(Counter(m["operator"] for m in built["mutants"].values()))
    )
    if args.check:
        same = json.loads(MUTANTS_FILE.read_text()) == built
        print("the stored file is", "the same" if same else "DIFFERENT")
        return 0 if same else 1
    MUTANTS_FILE.write_text(json.dumps(built, indent=1) + "\n")
    print(f"wrote {MUTANTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
