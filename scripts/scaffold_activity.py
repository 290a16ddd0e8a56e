#!/usr/bin/env python3
"""What each scaffolding piece did in recorded episodes: how often it acted, and what the model's
next reply did then. A null difference in score means little if a piece never acted; a piece that
acts often and is followed by the same mistake is not helping.

    .venv/bin/python scripts/scaffold_activity.py results/issue15_1.5b_scaffold_main

Read from the traces' observation and feedback texts (the notes each piece writes), so it works on
any finished sweep without rerunning it.
"""

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ctxbench.errors import HarnessError
from ctxbench.modes.scaffold import ERROR_FIRST, LOOKED_UP, NOT_RUN_AGAIN, SILENT, SUBMIT_HOW
from ctxbench.tracing.reader import load_episode

# The text each piece leaves in what the model is shown.
MARKS = {"repeat_guard": NOT_RUN_AGAIN, "error_first": ERROR_FIRST, "silence_hint": SILENT, "submit_hint": SUBMIT_HOW,
         "key_hint": LOOKED_UP}  # fmt: skip


def next_reply_kind(events: list[dict[str, Any]], index: int) -> str:
    """What the model did at the step after the event at `index`."""
    step = events[index].get("step")
    for event in events[index + 1 :]:
        if event["type"] == "final_answer" and event.get("step") == step:  # submitted with the code
            return "answer in the same reply"
        if event.get("step") in (None, step):
            continue
        if event["type"] == "final_answer":
            return "valid answer" if event["valid"] else "refused answer"
        if event["type"] == "exec":
            return "code ok" if event["outcome"] == "ok" else "code failed"
        if event["type"] == "feedback":
            return str(event["kind"])
    return "episode ended"


def shown_text(event: dict[str, Any]) -> str:
    """A tool's observation or the harness's feedback (each feedback is traced once as such)."""
    if event["type"] == "event" and event.get("kind") == "observation":
        return str(event["content"])
    return str(event["message"]) if event["type"] == "feedback" else ""


def activity(experiment: Path) -> tuple[Counter[str], dict[str, Counter[str]], int]:
    fired: Counter[str] = Counter()
    then: dict[str, Counter[str]] = defaultdict(Counter)
    episodes = 0
    for path in sorted(experiment.rglob("*.jsonl")):  # a sweep's trace.jsonl files, or a traces folder
        try:
            trace = load_episode(path)
        except HarnessError:
            continue  # not an episode trace
        if not trace.finished:
            continue
        episodes += 1
        for index, event in enumerate(trace.events):
            for piece, mark in MARKS.items():
                if mark in shown_text(event):
                    fired[piece] += 1
                    then[piece][next_reply_kind(trace.events, index)] += 1
        fired["retry_temperature"] += sum(1 for call in trace.llm_calls if call.get("temperature") is not None)
    return fired, then, episodes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiments", nargs="+", type=Path)
    args = parser.parse_args()
    for experiment in args.experiments:
        fired, then, episodes = activity(experiment)
        print(f"{experiment} ({episodes} finished episodes)")
        for piece in [*MARKS, "retry_temperature"]:
            after = ", ".join(f"{kind} {count}" for kind, count in then[piece].most_common())
            print(f"  {piece:18s} acted {fired[piece]:4d} times" + (f"; next reply: {after}" if after else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
