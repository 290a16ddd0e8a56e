"""The results tables of an experiment, read from its episodes' result.json and traces only.

Per cell (task, policy, mode, model, prompt): how many episodes ended how (stop reasons; those the
harness caused are counted, never scored), the success rate and mean score with intervals that say
their n, every token by who spent it, and the paired difference against full_history (same task,
mode, model, prompt and repeat) with its pair count and a sign-flip p-value. `paired_table` pools
those pairs across tasks per policy, where a test has more pairs to work with.
"""

import csv
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ctxbench.context_figures import context_figures
from ctxbench.errors import UNSCORED_STOP_REASONS
from ctxbench.stats import Estimate, mean_interval, rate_interval, sign_flip_test
from ctxbench.tracing.reader import EpisodeTrace, load_episode

CELL = ("task", "policy", "mode", "model", "prompt")
PAIR_KEY = ("task", "mode", "model", "prompt", "repeat")
REFERENCE_POLICY = "full_history"
MAX_SCORE = 1.0  # every task's metric is at most 1 (accuracy, ARI, Spearman, R², precision, pass)
# Per-episode costs, averaged per cell over its scored episodes.
COSTS = ("agent_prompt_tokens", "agent_completion_tokens", "summarizer_tokens", "total_tokens", "cached_tokens",
         "client_reused_tokens", "client_reused_share", "response_cache_hits", "cost_usd", "cost_usd_cache_reads",
         "llm_s", "prompt_eval_s", "cache_saved_s", "wall_s", "steps", "activity")  # fmt: skip


def load_rows(experiment: Path) -> list[dict[str, Any]]:
    """One row per finished episode (those with result.json), with its trace."""
    rows = []
    for result_file in sorted(experiment.glob("*/*/*/result.json")):
        result = json.loads(result_file.read_text())
        trace = load_episode(result_file.parent / "trace.jsonl")
        score = result["score"]  # None: a harness failure, not scored
        costs = costs_of(result["totals"])
        rows.append({
            "task": result["task"], "policy": result["policy"], "mode": result["reasoning_mode"],
            "model": result["model"], "prompt": result.get("prompt", ""), "repeat": result["repeat"],
            "seed": result["seed"], "score": score["value"] if score else None,
            "passed": bool(score and score["passed"]), "stop_reason": result["stop_reason"],
            "wall_s": result["wall_time_s"], "trace": trace, "totals": result["totals"],
            "provenance": result.get("provenance"), **costs, **context_figures(trace, costs["cached_tokens"]),
        })  # fmt: skip
    return rows


def costs_of(totals: dict[str, Any]) -> dict[str, Any]:
    """What one episode spent, by who spent it (results written before a field existed read 0)."""
    t = defaultdict(int, totals)
    summarizer = t["summarizer_prompt_tokens"] + t["summarizer_completion_tokens"]
    return {
        "agent_prompt_tokens": t["agent_prompt_tokens"], "agent_completion_tokens": t["agent_completion_tokens"],
        "summarizer_tokens": summarizer,
        "total_tokens": t["agent_prompt_tokens"] + t["agent_completion_tokens"] + summarizer,
        "cached_tokens": t["agent_cached_tokens"] + t["summarizer_cached_tokens"],
        "response_cache_hits": t["response_cache_hits"], "cost_usd": t["cost_usd"],
        "llm_s": t["llm_latency_s"] + t["summarizer_latency_s"], "steps": t["steps"],
    }  # fmt: skip


def scored(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Episodes a harness failure ended (model server crashed, API down, context overflow) are
    reported, never scored."""
    return [r for r in rows if r["score"] is not None]


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cells: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        cells[tuple(row[k] for k in CELL)].append(row)
    reference = reference_scores(rows)
    table = []
    for key, episodes in sorted(cells.items()):
        members = scored(episodes)  # a cell whose every episode failed stays in the table, with n = 0
        line: dict[str, Any] = dict(zip(CELL, key, strict=True))
        line.update(episodes=len(episodes), n=len(members), harness_failures=len(episodes) - len(members),
                    failed_episode_tokens=sum(e["total_tokens"] for e in episodes if e["score"] is None),
                    stop_reasons=stop_reason_counts(episodes))  # fmt: skip
        line.update(columns("success", rate_interval([m["passed"] for m in members])))
        line.update(columns("score", mean_interval([m["score"] for m in members], at_most=MAX_SCORE)))
        line.update(paired_delta(members, reference))
        for field in COSTS:
            line[field] = _mean([m[field] for m in members])
        table.append(line)
    return table


def stop_reason_counts(episodes: list[dict[str, Any]]) -> str:
    """'final_answer:3 llm_error:1', the harness's failures marked with '!'."""
    counts = Counter(e["stop_reason"] for e in episodes)
    return " ".join(f"{'!' if r in UNSCORED_STOP_REASONS else ''}{r}:{c}" for r, c in sorted(counts.items()))


def columns(name: str, estimate: Estimate) -> dict[str, Any]:
    return {name: estimate.mean, f"{name}_ci_low": estimate.low, f"{name}_ci_high": estimate.high,
            f"{name}_ci": estimate.method}  # fmt: skip


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]  # an episode without a model call has no activity
    return sum(known) / len(known) if known else None


def twin_key(row: dict[str, Any]) -> tuple:
    """The pair key and the seed: an episode's full_history twin across experiments (within one,
    the repeat fixes the seed)."""
    return (*(row[k] for k in PAIR_KEY), row["seed"])


def reference_scores(rows: list[dict[str, Any]]) -> dict[tuple, float]:
    """Each scored full_history episode's score, by the key its twins share (built once per table)."""
    return {tuple(r[k] for k in PAIR_KEY): r["score"] for r in scored(rows) if r["policy"] == REFERENCE_POLICY}


def pairs_against_reference(members: list[dict[str, Any]], reference: dict[tuple, float]) -> tuple[list[float], int]:
    """(score differences of the members whose full_history twin was scored, how many had none)."""
    diffs = [m["score"] - reference[k] for m in members if (k := tuple(m[k] for k in PAIR_KEY)) in reference]
    return diffs, len(members) - len(diffs)


def paired_delta(members: list[dict[str, Any]], reference: dict[tuple, float]) -> dict[str, Any]:
    """Mean score difference against full_history, its interval, pair count and sign-flip p-value."""
    if members and members[0]["policy"] == REFERENCE_POLICY:
        return delta_columns([], 0)
    diffs, unpaired = pairs_against_reference(members, reference)
    return delta_columns(diffs, unpaired)


def delta_columns(diffs: list[float], unpaired: int) -> dict[str, Any]:
    estimate, test = mean_interval(diffs, zero_one_is_rate=False), sign_flip_test(diffs)
    return {"pairs": len(diffs), "unpaired": unpaired, "delta_vs_full_history": estimate.mean,
            "delta_ci_low": estimate.low, "delta_ci_high": estimate.high, "delta_p": test.p_value,
            "delta_test": test.method}  # fmt: skip


def paired_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each policy against full_history with its pairs pooled over tasks (same mode, model, prompt):
    under the null every pair's sign is a coin flip, so pooling is sound and gives the test power."""
    reference = reference_scores(rows)
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in scored(rows):
        if row["policy"] != REFERENCE_POLICY:
            groups[(row["policy"], row["mode"], row["model"], row["prompt"])].append(row)
    table = []
    for (policy, mode, model, prompt), members in sorted(groups.items()):
        diffs, unpaired = pairs_against_reference(members, reference)
        tasks = len({m["task"] for m in members})
        table.append({"policy": policy, "mode": mode, "model": model, "prompt": prompt, "tasks": tasks}
                     | delta_columns(diffs, unpaired))  # fmt: skip
    return table


def fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


SUMMARY_COLUMNS = [*CELL, "episodes", "n", "harness_failures", "stop_reasons", "success", "success_ci_low",
                   "success_ci_high", "score", "score_ci_low", "score_ci_high", "score_ci", "pairs", "unpaired",
                   "delta_vs_full_history", "delta_ci_low", "delta_ci_high", "delta_p", "delta_test", *COSTS,
                   "failed_episode_tokens"]  # fmt: skip


def write_tables(table: list[dict[str, Any]], out: Path, paired: list[dict[str, Any]] | None = None) -> list[Path]:
    """summary.csv/.md, and paired.csv/.md when a paired table is given."""
    written = _write(table, out / "summary", SUMMARY_COLUMNS)
    if paired:
        written += _write(paired, out / "paired", list(paired[0]))
    return written


def _write(table: list[dict[str, Any]], stem: Path, markdown_columns: list[str]) -> list[Path]:
    csv_path, md_path = stem.with_suffix(".csv"), stem.with_suffix(".md")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    cells = [[fmt(row[c]) for c in markdown_columns] for row in table]
    md_path.write_text(markdown_table(markdown_columns, cells) + "\n")
    return [csv_path, md_path]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def interval_text(row: dict[str, Any], name: str) -> str:
    mean, low, high = row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"]
    if mean is None:
        return "—"
    return f"{mean:.3f}" + (f" [{low:.3f}, {high:.3f}]" if low is not None else "")


def print_table(table: list[dict[str, Any]], paired: list[dict[str, Any]] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 200)
    view = Table(title="results: mean [95% CI] over n scored episodes; ! = harness failure (not scored)")
    for column in ("task", "policy", "mode", "n", "stop reasons", "success", "score", "delta (pairs, p)",
                   "agent tok", "summ tok", "reused (server / est.)", "activity", "llm s", "wall s",
                   "steps"):  # fmt: skip
        view.add_column(column)
    for row in table:
        reused = f"{number_text(row['cached_tokens'])} / {number_text(row['client_reused_tokens'])}"
        agent = sum_known(row["agent_prompt_tokens"], row["agent_completion_tokens"])
        view.add_row(row["task"], row["policy"], row["mode"], str(row["n"]), row["stop_reasons"],
                     interval_text(row, "success"), interval_text(row, "score"), delta_text(row),
                     number_text(agent), number_text(row["summarizer_tokens"]), reused,
                     number_text(row["activity"], 2), number_text(row["llm_s"], 1), number_text(row["wall_s"], 1),
                     number_text(row["steps"], 1))  # fmt: skip
    console.print(view)
    if paired:
        pooled = Table(title="each policy vs full_history, pairs pooled over tasks")
        for column in ("policy", "mode", "tasks", "pairs", "unpaired", "delta [95% CI]", "p", "test"):
            pooled.add_column(column)
        for row in paired:
            pooled.add_row(row["policy"], row["mode"], str(row["tasks"]), str(row["pairs"]), str(row["unpaired"]),
                           delta_text(row, with_pairs=False), fmt(row["delta_p"]), row["delta_test"])  # fmt: skip
        console.print(pooled)


def delta_text(row: dict[str, Any], with_pairs: bool = True) -> str:
    """'+0.066 [-0.040, +0.172] (20, p=0.502)': the paired difference against full_history."""
    d, low, high = row["delta_vs_full_history"], row["delta_ci_low"], row["delta_ci_high"]
    if d is None:
        return "—"
    text = f"{d:+.3f}" + (f" [{low:+.3f}, {high:+.3f}]" if low is not None else "")
    return text + (f" ({row['pairs']}, p={fmt(row['delta_p'])})" if with_pairs else "")


def sum_known(*values: float | None) -> float | None:
    """The sum, or None when any part is unknown (a field older results lack)."""
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def number_text(value: float | None, digits: int = 0) -> str:
    """A table cell: the value at these digits, or a dash when unknown."""
    return "—" if value is None else f"{value:.{digits}f}"


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
