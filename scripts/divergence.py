#!/usr/bin/env python3
"""Where each paired episode parts from its full_history twin, and why: the policy showed the model
another context ("context"), or the server gave another reply to the same context ("server"), or
never ("identical"). A null paired difference reads differently in each case: "identical" pairs
are the policy doing nothing, "server" pairs are noise the same seed does not remove.

    .venv/bin/python scripts/divergence.py results/issue20_study_0.5b
    .venv/bin/python scripts/divergence.py results/issue20_study_window_0.5b --reference results/issue20_study_0.5b

Per task and policy: the pairs, how many part by context / by server / never, and the median step
of the first parting. Then every "server" parting with its step, so that it can be opened.
"""

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.results import REFERENCE_POLICY, load_rows, markdown_table, twin_key

HEADER = ("task", "policy", "pairs", "part by context", "part by server", "identical", "median parting step")


def parting(calls: list[dict[str, Any]], twin_calls: list[dict[str, Any]]) -> tuple[str, int | None]:
    """The first model call at which two trajectories differ, and whether their contexts differed
    there ("context") or only the replies to one context did ("server"). A trajectory that ends
    while the other goes on parts at the first call one of them lacks, by the previous reply."""
    for call, twin in zip(calls, twin_calls, strict=False):
        if call["messages"] != twin["messages"]:
            return "context", call["step"]
        if said(call) != said(twin):
            return "server", call["step"]
    if len(calls) != len(twin_calls):  # same replies yet one stopped: a harness-side difference
        return "context", min(len(calls), len(twin_calls)) + 1
    return "identical", None


def said(call: dict[str, Any]) -> tuple:
    """What a reply said (its latency and cache counts differ run to run and change nothing)."""
    return call["reply"].get("text"), call["reply"].get("tool_calls")


def partings(rows: list[dict[str, Any]], reference: list[dict[str, Any]]) -> dict[tuple, list[tuple]]:
    """(task, policy) -> [(repeat, kind, step)] for every episode with a full_history twin."""
    twins = {twin_key(r): r for r in reference if r["policy"] == REFERENCE_POLICY}
    found: dict[tuple, list[tuple]] = defaultdict(list)
    for row in rows:
        twin = twins.get(twin_key(row))
        if row["policy"] == REFERENCE_POLICY or twin is None:
            continue
        kind, step = parting(row["trace"].llm_calls, twin["trace"].llm_calls)
        found[(row["task"], row["policy"])].append((row["repeat"], kind, step))
    return found


def table(found: dict[tuple, list[tuple]]) -> list[list[str]]:
    lines = []
    for (task, policy), pairs in sorted(found.items()):
        kinds = [kind for _, kind, _ in pairs]
        steps = [step for _, _, step in pairs if step is not None]
        median = f"{statistics.median(steps):g}" if steps else "—"
        lines.append([task, policy, str(len(pairs)), *(str(kinds.count(k)) for k in ("context", "server", "identical")),
                      median])  # fmt: skip
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", type=Path, help="results/<experiment>")
    parser.add_argument("--reference", type=Path, help="take the full_history twins from this experiment")
    args = parser.parse_args()
    for folder in (args.experiment, args.reference):
        if folder is not None and not folder.is_dir():
            parser.error(f"no such results folder: {folder}")
    rows = load_rows(args.experiment)
    found = partings(rows, load_rows(args.reference) if args.reference else rows)
    print(markdown_table(HEADER, table(found)))
    server = [(key, repeat, step) for key, pairs in sorted(found.items()) for repeat, kind, step in pairs
              if kind == "server"]  # fmt: skip
    print("\nParted by the server (same context, another reply):", ", ".join(
        f"{task}/{policy}/{repeat} at step {step}" for (task, policy), repeat, step in server) or "none")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
