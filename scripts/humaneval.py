#!/usr/bin/env python3
"""HumanEval pass@1 per reasoning mode and model, one model server per model for the whole run.

    .venv/bin/python scripts/humaneval.py --modes direct --problems all             # beside the report
    .venv/bin/python scripts/humaneval.py --modes direct,agentic,controller --problems sample:40
    .venv/bin/python scripts/humaneval.py --models qwen2.5-coder-1.5b --modes direct --problems all
    .venv/bin/python scripts/humaneval.py --problems 0-4 --split unwinnable          # sanity: must be 0
    .venv/bin/python scripts/humaneval.py --task humaneval_fix --problems sample:40  # repair of seeded bugs
    .venv/bin/python scripts/humaneval.py --samples 10 --temperature 0.8 --problems sample:40   # pass@k
    .venv/bin/python scripts/humaneval.py --modes controller --iters 3 --visualize   # 3 repair rounds

Other run_bench.py flags (--policy-type, --max-steps, --base-url, ...) apply to every episode. Each
finished episode is appended at once to <out>/<model>/<mode>_<split>[_n<N>_t<T>][_iters<K>].jsonl
with the load average beside it; --resume skips the episodes already there (an episode cut off, or
ended by a harness failure, is run again), so a killed run loses nothing and duplicates nothing.

Two ways to go beyond one try, kept apart:
- `--iters K`: repair rounds. The agentic or controller episode gets K model calls, and between
  them the output of running its code on the docstring's examples (the official tests stay hidden:
  what is fed back is what the agent could run itself). Reported as pass@1 after K rounds.
- `--samples N`: N independent episodes per problem (seeds 0..N-1; direct mode samples at
  --temperature instead of greedily), reported as pass@k for k = 1, 5, 10 up to N with the
  unbiased estimator of the HumanEval paper (Chen et al. 2021): 1 - C(n-c, k) / C(n, k).
The table gives pass@1 with its interval (Wilson for one sample per problem; Student t over the
problems' pass fractions for several) and, for every mode against direct on the problems both ran,
the paired difference with its interval and an exact sign-flip p-value. `--visualize` writes
<out>/report.png: pass@1 per model and mode, and each problem's steps and seconds, passed or not.
"""

import json
import os
import sys
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.humaneval.task import parse_problems
from ctxbench.cli import apply_overrides, build_parser, cleanup_on_sigterm
from ctxbench.errors import ConfigError, HarnessError

REFERENCE_MODE = "direct"
TASKS_HERE = ("humaneval", "humaneval_fix")
PASS_AT = (1, 5, 10)


@dataclass(frozen=True)
class Plan:
    """What every cell of the run shares: the task, its split, samples per problem, repair rounds."""

    task: str
    split: str
    samples: int
    temperature: float | None
    iters: int | None

    def results_file(self, folder: Path, mode: str) -> Path:
        sampled = ""
        if self.samples > 1:
            sampled = f"_n{self.samples}" + (f"_t{self.temperature:g}" if self.temperature else "")
        return folder / f"{mode}_{self.split}{sampled}{f'_iters{self.iters}' if self.iters else ''}.jsonl"

    def episode_config(self, raw: dict[str, Any], mode: str, problem: int, sample: int, out: Path) -> dict[str, Any]:
        raw = {**raw, "reasoning_mode": mode, "task": {"name": self.task, "problem": problem, "split": self.split},
               "out": str(out)}  # fmt: skip
        if self.samples > 1:
            raw["seed"] = sample
            if self.temperature is not None:
                raw["model"] = {**raw.get("model", {}), "direct_temperature": self.temperature}
        if self.iters:
            raw["budget"] = {**raw.get("budget", {}), "max_steps": self.iters}
        return raw


def read_rows(results: Path) -> dict[tuple[int, int], dict[str, Any]]:
    """(problem, sample) -> row; rows written before samples existed are sample 0."""
    rows = {}
    if results.exists():
        for line in results.read_text().splitlines():
            try:
                row = json.loads(line)
                rows[int(row["problem"]), int(row.get("sample", 0))] = row
            except (json.JSONDecodeError, KeyError, ValueError):
                continue  # a torn last line from a killed run
    return rows


def scaffold_of(config: Any, mode: str) -> dict[str, Any]:
    """The scaffolding pieces switched on, as the rows record them (direct mode uses none)."""
    return {} if mode == REFERENCE_MODE else config.scaffold.model_dump(exclude_defaults=True)


def run_cell(raw: dict[str, Any], plan: Plan, mode: str, problems: list[int], results: Path, config_name: str) -> None:
    from ctxbench.config import validate_config
    from ctxbench.runner import run_episode

    done = read_rows(results)
    scaffold = scaffold_of(validate_config(raw, config_name), mode)
    recorded = {json.dumps(row.get("scaffold", {}), sort_keys=True) for row in done.values()}
    if mixed := recorded - {json.dumps(scaffold, sort_keys=True)}:
        raise ConfigError(f"{results} holds episodes run with scaffold {', '.join(sorted(mixed))}, not {scaffold}: "
                          "choose another --out")  # fmt: skip
    for problem in problems:
        for sample in range(plan.samples):
            if (problem, sample) in done:
                continue
            episode = plan.episode_config(raw, mode, problem, sample, results.parent / "episodes")
            result = run_episode(validate_config(episode, config_name))
            name = f"{results.parent.name} {mode} problem {problem}" + (f" sample {sample}" if plan.samples > 1 else "")
            if result.score is None:  # the harness failed, not the model: left for --resume to redo
                print(f"{name}: not scored ({result.stop_reason}: {result.error})")
                continue
            t = result.totals
            row = {"problem": problem, "sample": sample, "passed": result.score.value == 1.0,
                   "stop_reason": result.stop_reason, "scaffold": scaffold, "steps": t.steps, "tokens": t.all_tokens,
                   "llm_s": round(t.llm_latency_s, 1), "wall_s": round(result.wall_time_s, 1),
                   "load_avg_1m": round(os.getloadavg()[0], 2), "trace": str(result.trace_path)}  # fmt: skip
            with open(results, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{name}: {'pass' if row['passed'] else 'fail'} ({result.stop_reason}, {row['wall_s']} s, "
                  f"load {row['load_avg_1m']})")  # fmt: skip


def universe_of(task: str) -> list[int] | None:
    """The problems a task has: humaneval_fix only those with a buggy version."""
    if task == "humaneval_fix":
        from benchmarks.humaneval_fix.task import fix_problems

        return fix_problems()
    return None


def pass_counts(rows: dict[tuple[int, int], dict[str, Any]], problems: list[int]) -> dict[int, tuple[int, int]]:
    """problem -> (samples run, samples passed), for the problems with at least one sample."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (problem, _), row in rows.items():
        if problem in problems:
            counts[problem][0] += 1
            counts[problem][1] += bool(row["passed"])
    return {problem: (n, c) for problem, (n, c) in counts.items()}


def report(out: Path, models: list[str], modes: list[str], problems: list[int], plan: Plan) -> None:
    from ctxbench.results import delta_columns
    from ctxbench.stats import mean_interval, pass_at_k

    how = "Wilson interval" if plan.samples == 1 else f"{plan.samples} samples each, t interval over problems"
    rounds = f", {plan.iters} repair rounds" if plan.iters else ""
    print(f"\n{out.name} pass@1 ({plan.split}, {len(problems)} problems{rounds}; 95% {how})")
    for model in models:
        rows_of = {m: read_rows(plan.results_file(out / model, m)) for m in modes}
        by_mode = {m: pass_counts(rows_of[m], problems) for m in modes}
        for mode in modes:
            counts = by_mode[mode]
            fractions = {p: c / n for p, (n, c) in counts.items()}
            estimate = mean_interval(list(fractions.values()), at_most=1.0)
            interval = f" [{estimate.low:.3f}, {estimate.high:.3f}]" if estimate.has_interval else ""
            wall = sum(row["wall_s"] for (p, _), row in rows_of[mode].items() if p in counts) / max(1, len(counts))
            if plan.samples == 1:
                line = (f"  {model:36s} {mode:10s} {sum(c for _, c in counts.values()):3d}/{len(counts):3d} = "
                        f"{estimate.mean or 0:.3f}{interval}  {wall:5.1f} s/problem")  # fmt: skip
            else:
                line = f"  {model:36s} {mode:10s} pass@1 {estimate.mean or 0:.3f}{interval} over {len(counts)} problems"
            ks = [k for k in PASS_AT[1:] if all(n >= k for n, _ in counts.values())]
            for k in ks:
                line += f"  pass@{k} {sum(pass_at_k(n, c, k) for n, c in counts.values()) / len(counts):.3f}"
            reference = by_mode.get(REFERENCE_MODE, {})
            shared = [p for p in problems if p in counts and p in reference]
            if mode != REFERENCE_MODE and shared:
                diffs = [fractions[p] - reference[p][1] / reference[p][0] for p in shared]
                delta = delta_columns(diffs, unpaired=len(counts) - len(shared))  # the results table's columns
                low, high = delta["delta_ci_low"], delta["delta_ci_high"]
                ci = f" [{low:+.3f}, {high:+.3f}]" if low is not None else ""
                line += (f"  vs direct: {delta['delta_vs_full_history']:+.3f}{ci} over {delta['pairs']} pairs, "
                         f"p={delta['delta_p']:.3f}")  # fmt: skip
            print(line)


def report_figure(out: Path, models: list[str], modes: list[str], problems: list[int], plan: Plan) -> Path:
    """pass@1 per model and mode (with its interval), and every episode's steps and seconds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from ctxbench.stats import mean_interval

    figure, (rates, costs) = plt.subplots(1, 2, figsize=(13, 4.8))
    labels: list[str] = []
    means: list[float] = []
    errors: tuple[list[float], list[float]] = ([], [])
    for model in models:
        for mode in modes:
            rows = read_rows(plan.results_file(out / model, mode))
            counts = pass_counts(rows, problems)
            estimate = mean_interval([c / n for n, c in counts.values()], at_most=1.0)
            mean = estimate.mean or 0.0
            labels.append(f"{model.split('-instruct')[0]}\n{mode}")
            means.append(mean)
            low, high = (estimate.low, estimate.high) if estimate.has_interval else (mean, mean)
            errors[0].append(mean - (low if low is not None else mean))
            errors[1].append((high if high is not None else mean) - mean)
            kept = [row for (problem, _), row in rows.items() if problem in problems]
            for passed, marker in ((True, "o"), (False, "x")):
                chosen = [row for row in kept if row["passed"] is passed]
                costs.scatter([row["wall_s"] for row in chosen], [row["steps"] for row in chosen], marker=marker,
                              label=f"{labels[-1].replace(chr(10), ' ')} {'pass' if passed else 'fail'}")  # fmt: skip
    rates.bar(range(len(means)), means, yerr=errors, capsize=4, color="tab:blue")
    rates.set_xticks(range(len(means)), labels, fontsize=8)
    rates.set_ylim(0, 1)
    rates.set_ylabel("pass@1 (95% interval)")
    rates.set_title(f"{out.name}: {len(problems)} problems" + (f", {plan.iters} rounds" if plan.iters else ""))
    costs.set_xlabel("seconds per episode")
    costs.set_ylabel("model calls (steps)")
    costs.yaxis.set_major_locator(MaxNLocator(integer=True))
    costs.set_title("each episode")
    costs.legend(fontsize=7)
    figure.tight_layout()
    path = out / "report.png"
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def main() -> int:
    parser = build_parser("humaneval.py")
    parser.add_argument("--problems", default="0-19", help="all | sample:K | A-B | 1,5,9 (default 0-19)")
    parser.add_argument("--modes", default="direct", help="comma-separated: direct,agentic,controller")
    parser.add_argument("--models", default="", help="comma-separated embedded models (default: the config's)")
    parser.add_argument("--split", choices=["official", "unwinnable"], default="official")
    parser.add_argument("--sample-seed", type=int, default=0, help="seed of --problems sample:K")
    parser.add_argument("--samples", type=int, default=1, help="episodes per problem, for pass@k (default 1)")
    parser.add_argument("--temperature", type=float, help="direct mode's sampling temperature with --samples")
    parser.add_argument("--iters", type=int, help="repair rounds: model calls of an agentic/controller episode")
    parser.add_argument("--visualize", action="store_true", help="write <out>/report.png")
    # --resume comes with the shared parser: here it skips problems already in the results files.
    args = parser.parse_args()  # --task (the shared parser's): humaneval (default) or humaneval_fix
    args.task = args.task or "humaneval"
    if args.task not in TASKS_HERE:
        print(f"error: --task must be one of {', '.join(TASKS_HERE)}, not {args.task!r}", file=sys.stderr)
        return 2
    cleanup_on_sigterm()
    try:
        from dotenv import load_dotenv

        from ctxbench.config import read_config_file, validate_config
        from ctxbench.llm import llama_server

        load_dotenv()
        out = Path(args.out or f"results/{args.task}")
        problems = parse_problems(args.problems, args.sample_seed, universe_of(args.task))
        modes = [m.strip() for m in args.modes.split(",") if m.strip()]
        plan = checked_plan(args, modes)
        base = apply_overrides(read_config_file(args.config), args)
        configs = {}  # the model's name (as validated: an alias becomes the catalog name) -> its raw config
        for name in [m.strip() for m in args.models.split(",") if m.strip()] or [None]:
            raw = base if name is None else {**base, "model": {**base.get("model", {}), "name": name}}
            configs[validate_config(raw, str(args.config)).model.name] = raw
        models = list(configs)
        finished = [plan.results_file(out / m, mode) for m in models for mode in modes]
        if any(read_rows(f) for f in finished) and not args.resume:
            raise ConfigError(f"{out} already has results for these modes: pass --resume, or choose another --out")
        for name, raw in configs.items():
            (out / name).mkdir(parents=True, exist_ok=True)
            with ExitStack() as stack:
                model = validate_config(raw, str(args.config)).model
                if model.backend == "llama_cpp":  # one server for every episode of this model
                    stack.enter_context(llama_server.shared_server(model, out / name / "llama_server.log"))
                for mode in modes:
                    run_cell(raw, plan, mode, problems, plan.results_file(out / name, mode), str(args.config))
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run again with --resume to go on", file=sys.stderr)
        return 130
    report(out, models, modes, problems, plan)
    if args.visualize:
        print(f"report: {report_figure(out, models, modes, problems, plan)}")
    return 0


def checked_plan(args: Any, modes: list[str]) -> Plan:
    if args.samples < 1:
        raise ConfigError(f"--samples must be at least 1, got {args.samples}")
    if args.iters is not None and (args.iters < 1 or REFERENCE_MODE in modes):
        raise ConfigError("--iters K needs K >= 1 and agentic or controller modes only (direct has one call)")
    if args.samples > 1 and REFERENCE_MODE in modes and not args.temperature:
        raise ConfigError("--samples with direct mode needs --temperature above 0: greedy samples are all the same")
    return Plan(args.task, args.split, args.samples, args.temperature, args.iters)


if __name__ == "__main__":
    sys.exit(main())
