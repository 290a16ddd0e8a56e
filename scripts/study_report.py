#!/usr/bin/env python3
"""The study's write-up tables and figures (issue 20, docs/study.md), from its results folders only.

    .venv/bin/python scripts/study_report.py results/issue20_study_0.5b results/issue20_study_1.5b \
        --figs docs/figures/study > /tmp/study_tables.md

Per experiment and task, one row per policy: n, success rate and mean score with their intervals,
the paired difference against full_history (pairs, exact sign-flip p), the activity column, the
agent's and the summarizer's tokens, prompt tokens the local server evaluated vs reused from its KV
cache, wall time with the server's prompt-evaluation seconds and the estimate of what reuse saved,
and the API cost of an episode at a stated price, without and with cache reads (the client-side
estimate: a prompt's prefix shared with the one before it is a cache read, billed at
--cache-read-discount of the prompt price). Then each policy's pairs pooled over tasks, and the
check that every episode ran on one harness (no change to its code between the first episode's
commit and the last one's). Figures per experiment and task go to --figs.

An experiment without its own full_history (a budget axis) is paired with the full_history episodes
of --reference that share its task, mode, model, prompt, repeat and seed:

    .venv/bin/python scripts/study_report.py results/issue20_study_window_0.5b \
        --reference results/issue20_study_0.5b
"""

import argparse
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.context_figures import priced_usd
from ctxbench.plots import plot_all, prompt_tokens
from ctxbench.results import (
    CELL,
    REFERENCE_POLICY,
    delta_text,
    interval_text,
    load_rows,
    markdown_table,
    number_text,
    paired_table,
    scored,
    sum_known,
    summarize,
    twin_key,
)

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ("ctxbench", "benchmarks", "context_policies", "config.json")
COLUMNS = ("policy", "n", "success", "mean score", "Δ vs full_history (pairs, p)", "activity", "agent tok",
           "summarizer tok", "prompt evaluated / reused", "wall s (prompt eval, saved)",
           "API $ no cache / cache reads")  # fmt: skip


def priced(row: dict[str, Any], prompt_price: float, completion_price: float, discount: float) -> tuple[float, float]:
    """USD per episode at the given per-million prices, without and with the estimated cache reads
    (the agent's calls; a summarizer's prompt is billed whole)."""
    totals, prompt = row["totals"], prompt_tokens(row)
    completion = totals.get("agent_completion_tokens", 0) + totals.get("summarizer_completion_tokens", 0)
    prices = (prompt_price, completion_price, discount)
    reused = row["client_reused_tokens"]
    return priced_usd(prompt, completion, 0, prices), priced_usd(prompt, completion, reused, prices)


def cell_line(line: dict[str, Any], members: list[dict[str, Any]], prices: tuple[float, float, float]) -> list[str]:
    costs = [priced(m, *prices) for m in members]
    plain, cached = (sum(c[i] for c in costs) / len(costs) if costs else None for i in (0, 1))
    delta = "reference" if line["policy"] == REFERENCE_POLICY else delta_or_why(line)
    # the server's cache count covers the summarizer's calls too, so its prompts count here as well
    evaluated = sum(prompt_tokens(m) for m in members) / len(members) - line["cached_tokens"] if members else None
    agent = sum_known(line["agent_prompt_tokens"], line["agent_completion_tokens"])
    n = number_text
    return [line["policy"], str(line["n"]), interval_text(line, "success"), interval_text(line, "score"), delta,
            n(line["activity"], 2), n(agent), n(line["summarizer_tokens"]),
            f"{n(evaluated)} / {n(line['cached_tokens'])}",
            f"{n(line['wall_s'])} ({n(line['prompt_eval_s'])}, ~{n(line['cache_saved_s'])})",
            f"{n(plain, 4)} / {n(cached, 4)}"]  # fmt: skip


def delta_or_why(line: dict[str, Any]) -> str:
    """The results table's paired difference, or why there is none."""
    if line["delta_vs_full_history"] is None:
        return f"— (0 pairs, {line['unpaired']} unpaired)"
    return delta_text(line)


def borrowed_references(rows: list[dict[str, Any]], reference: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reference experiment's full_history episodes that are twins of these rows' episodes:
    same task, mode, model, prompt and repeat (the pair key), and the same seed."""
    wanted = {twin_key(r) for r in rows if r["policy"] != REFERENCE_POLICY}
    return [r for r in reference if r["policy"] == REFERENCE_POLICY and twin_key(r) in wanted]


def experiment_report(experiment: Path, figs: Path | None, prices: tuple[float, float, float],
                      reference: Path | None = None) -> str:  # fmt: skip
    rows = load_rows(experiment)
    if reference is not None and not any(r["policy"] == REFERENCE_POLICY for r in rows):
        rows += borrowed_references(rows, load_rows(reference))
    members: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in scored(rows):
        members[tuple(row[k] for k in CELL)].append(row)
    table = summarize(rows)
    parts = [f"### {experiment.name}", ""]
    if reference is not None:
        parts += [f"{REFERENCE_POLICY} episodes borrowed from {reference.name}: "
                  f"{sum(r['policy'] == REFERENCE_POLICY for r in rows)}", ""]  # fmt: skip
    for task in sorted({r["task"] for r in rows}):
        lines = [line for line in table if line["task"] == task]
        models = sorted({line["model"] for line in lines})
        parts += [f"**{task}** ({', '.join(models)}, {sum(line['episodes'] for line in lines)} episodes)", ""]
        cells = [cell_line(line, members[tuple(line[k] for k in CELL)], prices) for line in lines]
        parts += [markdown_table(COLUMNS, cells), ""]
        if figs:
            made = plot_all(scored(r for r in rows if r["task"] == task), figs, f"{experiment.name}_{task}")
            parts += [f"figures: {', '.join(f'`{p}`' for p in made)}", ""]
    pooled = [[p["policy"], str(p["tasks"]), delta_or_why(p)] for p in paired_table(rows)]
    if pooled:
        parts += ["Pairs pooled over tasks:", "", markdown_table(("policy", "tasks", COLUMNS[4]), pooled), ""]
    return "\n".join([*parts, one_harness(rows), ""])


def one_harness(rows: list[dict[str, Any]]) -> str:
    """Whether every episode ran on the same harness code: the commits the episodes name differ
    in no file of the harness (results and docs may be committed between them)."""
    provenance = [r["provenance"] or {} for r in rows]
    commits = sorted({str(p["git_commit"]) for p in provenance if p.get("git_commit")})
    dirty = sum(bool(p.get("git_dirty")) for p in provenance)
    changed = [c for c in commits[1:] if not same_harness(commits[0], c)]
    loads = [p["load_avg_1m"] for p in provenance if p.get("load_avg_1m") is not None]
    verdict = "one harness" if not (changed or dirty) else f"NOT one harness: {len(changed)} commits differ"
    load = f"load average (1 min) at their start {min(loads):.2f}-{max(loads):.2f}" if loads else "no load recorded"
    return f"{len(rows)} episodes at {len(commits)} commits: {verdict}; {dirty} run on a dirty tree; {load}."


def same_harness(a: str, b: str) -> bool:
    diff = subprocess.run(["git", "diff", "--quiet", a, b, "--", *HARNESS], cwd=ROOT, check=False)
    return diff.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiments", type=Path, nargs="+", help="results/<experiment> folders")
    parser.add_argument("--figs", type=Path, help="write each experiment's and task's figures here")
    parser.add_argument("--reference", type=Path, help="pair experiments without full_history against this one's")
    parser.add_argument("--usd-per-mtok-prompt", type=float, default=1.0, help="illustrative API price")
    parser.add_argument("--usd-per-mtok-completion", type=float, default=4.0)
    parser.add_argument("--cache-read-discount", type=float, default=0.1, help="a cache read's share of the price")
    args = parser.parse_args()
    missing = [e for e in [*args.experiments, args.reference] if e is not None and not e.is_dir()]
    if missing:
        parser.error(f"no such results folder: {', '.join(map(str, missing))}")
    prices = (args.usd_per_mtok_prompt, args.usd_per_mtok_completion, args.cache_read_discount)
    print(f"API prices: ${prices[0]}/M prompt, ${prices[1]}/M completion, cache reads at {prices[2]} of it\n")
    for experiment in args.experiments:
        print(experiment_report(experiment, args.figs, prices, args.reference))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
