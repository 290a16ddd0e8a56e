#!/usr/bin/env python3
"""Run HumanEval problems as episodes and report pass@1.

    .venv/bin/python scripts/humaneval.py --max 20                 # problems 0..19, local model
    .venv/bin/python scripts/humaneval.py --max 164 --resume       # go on after an interruption
    .venv/bin/python scripts/humaneval.py --max 5 --split unwinnable   # sanity: must report 0

Other run_bench.py flags (--policy-type, --reasoning-mode, --max-steps, --base-url, ...) apply to
every episode. Each finished episode is appended to <out>/humaneval.jsonl at once; --resume skips
the problems already there (an episode cut off mid-way is run again), so nothing is duplicated.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.cli import apply_overrides, build_parser, cleanup_on_sigterm
from ctxbench.errors import ConfigError, HarnessError


def done_problems(results: Path) -> dict[int, dict]:
    if not results.exists():
        return {}
    rows = {}
    for line in results.read_text().splitlines():
        try:
            row = json.loads(line)
            rows[int(row["problem"])] = row
        except (json.JSONDecodeError, KeyError, ValueError):
            continue  # a torn last line from a killed run
    return rows


def main() -> int:
    parser = build_parser("humaneval.py")
    parser.add_argument("--max", type=int, default=20, help="problems 0..N-1")
    parser.add_argument("--split", choices=["official", "unwinnable"], default="official")
    # --resume comes with the shared parser: here it skips problems already in the results file.
    args = parser.parse_args()
    cleanup_on_sigterm()
    try:
        from dotenv import load_dotenv

        from ctxbench.config import read_config_file, validate_config
        from ctxbench.runner import run_episode

        load_dotenv()
        out = Path(args.out or "results/humaneval")
        results = out / f"humaneval_{args.split}.jsonl"
        done = done_problems(results)
        if done and not args.resume:
            raise ConfigError(f"{results} already has {len(done)} problems: pass --resume, or choose another --out")
        out.mkdir(parents=True, exist_ok=True)
        raw = apply_overrides(read_config_file(args.config), args)
        for problem in range(args.max):
            if problem in done:
                continue
            raw["task"] = {"name": "humaneval", "problem": problem, "split": args.split}
            raw["out"] = str(out / "episodes")
            result = run_episode(validate_config(raw, str(args.config)))
            if result.score is None:  # the harness failed, not the model: left for --resume to redo
                print(f"problem {problem}: not scored ({result.stop_reason}: {result.error})")
                continue
            row = {"problem": problem, "passed": result.score.value == 1.0, "stop_reason": result.stop_reason,
                   "steps": result.totals.steps, "tokens": result.totals.all_tokens,
                   "wall_s": round(result.wall_time_s, 1), "trace": str(result.trace_path)}  # fmt: skip
            with open(results, "a") as f:
                f.write(json.dumps(row) + "\n")
            done[problem] = row
            print(f"problem {problem}: {'pass' if row['passed'] else 'fail'} ({result.stop_reason}, {row['wall_s']}s)")
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run again with --resume to go on", file=sys.stderr)
        return 130
    chosen = [done[p] for p in range(args.max) if p in done]
    passed = sum(r["passed"] for r in chosen)
    rate = passed / max(1, len(chosen))
    print(f"pass@1 = {passed}/{len(chosen)} = {rate:.3f} ({args.split}, problems 0..{args.max - 1})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
