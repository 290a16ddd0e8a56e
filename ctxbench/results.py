"""The results table of an experiment, read from its episodes' result.json and traces only:
per cell success rate, mean score with a 95 % bootstrap CI, tokens, cost, wall time and steps, and
paired deltas of each policy against full_history (same task, mode, model, prompt and repeat)."""

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from ctxbench.stats import bootstrap_ci
from ctxbench.tracing.reader import EpisodeTrace, load_episode

CELL = ("task", "policy", "mode", "model", "prompt")
REFERENCE_POLICY = "full_history"


def load_rows(experiment: Path) -> list[dict[str, Any]]:
    """One row per finished episode (those with result.json), with its trace."""
    rows = []
    for result_file in sorted(experiment.glob("*/*/*/result.json")):
        result = json.loads(result_file.read_text())
        trace = load_episode(result_file.parent / "trace.jsonl")
        totals, score = result["totals"], result["score"]  # score None: a harness failure, not scored
        rows.append({
            "task": result["task"], "policy": result["policy"], "mode": result["reasoning_mode"],
            "model": result["model"], "prompt": result.get("prompt", ""), "repeat": result["repeat"],
            "seed": result["seed"],
            "score": score["value"] if score else None, "passed": bool(score and score["passed"]),
            "prompt_tokens": totals["agent_prompt_tokens"], "completion_tokens": totals["agent_completion_tokens"],
            "cached_tokens": totals["agent_cached_tokens"], "cost_usd": totals["cost_usd"], "steps": totals["steps"],
            "wall_s": result["wall_time_s"], "stop_reason": result["stop_reason"], "trace": trace,
        })  # fmt: skip
    return rows


def scored(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Episodes a harness failure ended (model server crashed, API down) are reported, never scored."""
    return [r for r in rows if r["score"] is not None]


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cells: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        cells[tuple(row[k] for k in CELL)].append(row)
    table = []
    for key, episodes in sorted(cells.items()):
        members = scored(episodes)  # a cell whose every episode failed stays in the table, with n = 0
        mean, low, high = bootstrap_ci([m["score"] for m in members])
        line = dict(zip(CELL, key, strict=True)) | {
            "n": len(members), "harness_failures": len(episodes) - len(members),
            "success_rate": _mean([m["passed"] for m in members]),
            "score": mean, "score_ci_low": low, "score_ci_high": high,
        }  # fmt: skip
        for field in ("prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd", "wall_s", "steps"):
            line[field] = _mean([m[field] for m in members])
        line.update(paired_delta(members, rows))
        table.append(line)
    return table


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def paired_delta(members: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean score difference against full_history on the same task/mode/model/prompt/repeat, with a CI."""
    if not members or members[0]["policy"] == REFERENCE_POLICY:
        return {"delta_vs_full_history": None, "delta_ci_low": None, "delta_ci_high": None}
    reference = {(r["task"], r["mode"], r["model"], r["prompt"], r["repeat"]): r["score"]
                 for r in scored(rows) if r["policy"] == REFERENCE_POLICY}  # fmt: skip
    diffs = [m["score"] - reference[k] for m in members
             if (k := (m["task"], m["mode"], m["model"], m["prompt"], m["repeat"])) in reference]  # fmt: skip
    if not diffs:
        return {"delta_vs_full_history": None, "delta_ci_low": None, "delta_ci_high": None}
    mean, low, high = bootstrap_ci(diffs)
    return {"delta_vs_full_history": mean, "delta_ci_low": low, "delta_ci_high": high}


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def write_tables(table: list[dict[str, Any]], out: Path) -> tuple[Path, Path]:
    csv_path, md_path = out / "summary.csv", out / "summary.md"
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    columns = [*CELL, "n", "harness_failures", "success_rate", "score", "score_ci_low", "score_ci_high",
               "delta_vs_full_history", "delta_ci_low", "delta_ci_high", "prompt_tokens", "completion_tokens",
               "cached_tokens", "cost_usd", "wall_s", "steps"]  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(row[c]) for c in columns) + " |" for row in table]
    md_path.write_text("\n".join(lines) + "\n")
    return csv_path, md_path


def print_table(table: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    view = Table(title="results (score: mean [95% bootstrap CI]; delta: paired vs full_history)")
    for column in (
        "task",
        "policy",
        "mode",
        "n",
        "harness fail",
        "success",
        "score",
        "delta",
        "prompt tok",
        "compl tok",
        "wall s",
        "steps",
    ):
        view.add_column(column)
    for row in table:
        d = row["delta_vs_full_history"]
        delta = "—" if d is None else f"{d:+.3f} [{row['delta_ci_low']:+.3f}, {row['delta_ci_high']:+.3f}]"
        view.add_row(row["task"], row["policy"], row["mode"], str(row["n"]), str(row["harness_failures"]),
                     f"{row['success_rate']:.2f}",
                     f"{row['score']:.3f} [{row['score_ci_low']:.3f}, {row['score_ci_high']:.3f}]", delta,
                     f"{row['prompt_tokens']:.0f}", f"{row['completion_tokens']:.0f}", f"{row['wall_s']:.1f}",
                     f"{row['steps']:.1f}")  # fmt: skip
    Console(width=None if sys.stdout.isatty() else 180).print(view)


def score_by_iteration(trace: EpisodeTrace) -> list[float]:
    """The best score known after each step: controller proposals' visible metric, else 0 until the
    final answer, then the final score."""
    steps = len(trace.llm_calls)
    curve = [0.0] * steps
    proposals = trace.by_type("proposal")
    final = trace.score["value"] if trace.score else 0.0
    for step in range(1, steps + 1):
        if proposals:
            seen = [next(iter(p["metrics"].values())) for p in proposals if p["step"] <= step]
            curve[step - 1] = max(seen, default=0.0)
        else:
            submitted = [e for e in trace.by_type("final_answer") if e.get("valid") and e["step"] <= step]
            curve[step - 1] = final if submitted or step == steps else 0.0
    return curve
