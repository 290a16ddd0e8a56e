#!/usr/bin/env python3
"""HumanEval pass@1 per reasoning mode and model, one model server per model for the whole run.

    .venv/bin/python scripts/humaneval.py --modes direct --problems all             # beside the report
    .venv/bin/python scripts/humaneval.py --modes direct,agentic,controller --problems sample:40
    .venv/bin/python scripts/humaneval.py --models qwen2.5-coder-1.5b --modes direct --problems all
    .venv/bin/python scripts/humaneval.py --problems 0-4 --split unwinnable          # sanity: must be 0
    .venv/bin/python scripts/humaneval.py --task humaneval_fix --problems sample:40  # repair of seeded bugs

Other run_bench.py flags (--policy-type, --max-steps, --base-url, ...) apply to every episode. Each
finished episode is appended at once to <out>/<model>/<mode>_<split>.jsonl with the load average
beside it; --resume skips the problems already there (an episode cut off, or ended by a harness
failure, is run again), so a killed run loses nothing and duplicates nothing. The table gives
pass@1 with its Wilson interval and, for every mode against direct on the problems both ran, the
paired difference with its interval and an exact sign-flip p-value.
"""

import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.humaneval.task import parse_problems
from ctxbench.cli import apply_overrides, build_parser, cleanup_on_sigterm
from ctxbench.errors import ConfigError, HarnessError

REFERENCE_MODE = "direct"


def read_rows(results: Path) -> dict[int, dict[str, Any]]:
    rows = {}
    if results.exists():
        for line in results.read_text().splitlines():
            try:
                row = json.loads(line)
                rows[int(row["problem"])] = row
            except (json.JSONDecodeError, KeyError, ValueError):
                continue  # a torn last line from a killed run
    return rows


def scaffold_of(config: Any, mode: str) -> dict[str, Any]:
    """The scaffolding pieces switched on, as the rows record them (direct mode uses none)."""
    return {} if mode == REFERENCE_MODE else config.scaffold.model_dump(exclude_defaults=True)


def run_cell(raw: dict[str, Any], task: str, mode: str, problems: list[int], split: str, results: Path,
             config_name: str) -> None:  # fmt: skip
    from ctxbench.config import validate_config
    from ctxbench.runner import run_episode

    done = read_rows(results)
    scaffold = scaffold_of(validate_config(raw, config_name), mode)
    recorded = {json.dumps(row.get("scaffold", {}), sort_keys=True) for row in done.values()}
    if mixed := recorded - {json.dumps(scaffold, sort_keys=True)}:
        raise ConfigError(f"{results} holds episodes run with scaffold {', '.join(sorted(mixed))}, not {scaffold}: "
                          "choose another --out")  # fmt: skip
    for problem in problems:
        if problem in done:
            continue
        raw = {**raw, "reasoning_mode": mode, "task": {"name": task, "problem": problem, "split": split},
               "out": str(results.parent / "episodes")}  # fmt: skip
        result = run_episode(validate_config(raw, config_name))
        if result.score is None:  # the harness failed, not the model: left for --resume to redo
            print(f"{results.parent.name} {mode} problem {problem}: not scored ({result.stop_reason}: {result.error})")
            continue
        t = result.totals
        row = {"problem": problem, "passed": result.score.value == 1.0, "stop_reason": result.stop_reason,
               "scaffold": scaffold, "steps": t.steps, "tokens": t.all_tokens, "llm_s": round(t.llm_latency_s, 1),
               "wall_s": round(result.wall_time_s, 1), "load_avg_1m": round(os.getloadavg()[0], 2),
               "trace": str(result.trace_path)}  # fmt: skip
        with open(results, "a") as f:
            f.write(json.dumps(row) + "\n")
        print(f"{results.parent.name} {mode} problem {problem}: {'pass' if row['passed'] else 'fail'} "
              f"({result.stop_reason}, {row['wall_s']} s, load {row['load_avg_1m']})")  # fmt: skip


def universe_of(task: str) -> list[int] | None:
    """The problems a task has: humaneval_fix only those with a buggy version."""
    if task == "humaneval_fix":
        from benchmarks.humaneval_fix.task import fix_problems

        return fix_problems()
    return None


def report(out: Path, models: list[str], modes: list[str], problems: list[int], split: str) -> None:
    from ctxbench.results import delta_columns
    from ctxbench.stats import rate_interval

    print(f"\n{out.name} pass@1 ({split}, {len(problems)} problems; 95% Wilson interval)")
    for model in models:
        by_mode = {m: read_rows(out / model / f"{m}_{split}.jsonl") for m in modes}
        for mode in modes:
            rows = [by_mode[mode][p] for p in problems if p in by_mode[mode]]
            rate = rate_interval([r["passed"] for r in rows])
            interval = f" [{rate.low:.3f}, {rate.high:.3f}]" if rate.has_interval else ""
            wall = sum(r["wall_s"] for r in rows) / max(1, len(rows))
            line = (f"  {model:36s} {mode:10s} {sum(r['passed'] for r in rows):3d}/{len(rows):3d} = "
                    f"{rate.mean or 0:.3f}{interval}  {wall:5.1f} s/problem")  # fmt: skip
            reference = by_mode.get(REFERENCE_MODE, {})
            shared = [p for p in problems if p in by_mode[mode] and p in reference]
            if mode != REFERENCE_MODE and shared:
                diffs = [float(by_mode[mode][p]["passed"]) - float(reference[p]["passed"]) for p in shared]
                delta = delta_columns(diffs, unpaired=len(rows) - len(shared))  # the results table's columns
                low, high = delta["delta_ci_low"], delta["delta_ci_high"]
                ci = f" [{low:+.3f}, {high:+.3f}]" if low is not None else ""
                line += (f"  vs direct: {delta['delta_vs_full_history']:+.3f}{ci} over {delta['pairs']} pairs, "
                         f"p={delta['delta_p']:.3f}")  # fmt: skip
            print(line)


def main() -> int:
    parser = build_parser("humaneval.py")
    parser.add_argument("--task", choices=["humaneval", "humaneval_fix"], default="humaneval")
    parser.add_argument("--problems", default="0-19", help="all | sample:K | A-B | 1,5,9 (default 0-19)")
    parser.add_argument("--modes", default="direct", help="comma-separated: direct,agentic,controller")
    parser.add_argument("--models", default="", help="comma-separated embedded models (default: the config's)")
    parser.add_argument("--split", choices=["official", "unwinnable"], default="official")
    parser.add_argument("--sample-seed", type=int, default=0, help="seed of --problems sample:K")
    # --resume comes with the shared parser: here it skips problems already in the results files.
    args = parser.parse_args()
    cleanup_on_sigterm()
    try:
        from dotenv import load_dotenv

        from ctxbench.config import read_config_file, validate_config
        from ctxbench.llm import llama_server

        load_dotenv()
        out = Path(args.out or f"results/{args.task}")
        problems = parse_problems(args.problems, args.sample_seed, universe_of(args.task))
        modes = [m.strip() for m in args.modes.split(",") if m.strip()]
        base = apply_overrides(read_config_file(args.config), args)
        configs = {}  # the model's name (as validated: an alias becomes the catalog name) -> its raw config
        for name in [m.strip() for m in args.models.split(",") if m.strip()] or [None]:
            raw = base if name is None else {**base, "model": {**base.get("model", {}), "name": name}}
            configs[validate_config(raw, str(args.config)).model.name] = raw
        models = list(configs)
        finished = [out / m / f"{mode}_{args.split}.jsonl" for m in models for mode in modes]
        if any(read_rows(f) for f in finished) and not args.resume:
            raise ConfigError(f"{out} already has results for these modes: pass --resume, or choose another --out")
        for name, raw in configs.items():
            (out / name).mkdir(parents=True, exist_ok=True)
            with ExitStack() as stack:
                model = validate_config(raw, str(args.config)).model
                if model.backend == "llama_cpp":  # one server for every episode of this model
                    stack.enter_context(llama_server.shared_server(model, out / name / "llama_server.log"))
                for mode in modes:
                    run_cell(raw, args.task, mode, problems, args.split, out / name / f"{mode}_{args.split}.jsonl",
                             str(args.config))  # fmt: skip
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run again with --resume to go on", file=sys.stderr)
        return 130
    report(out, models, modes, problems, args.split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
