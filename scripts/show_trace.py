#!/usr/bin/env python3
"""Print an episode trace step by step: what the model said, what ran, what came back."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ctxbench.tracing.jsonl import read_trace


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("trace", type=Path, nargs="?", help="default: the newest file in traces/")
    parser.add_argument("--width", type=int, default=1200, help="characters shown per text")
    args = parser.parse_args()
    path = args.trace or max(Path("traces").glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
    cut = lambda text: text if len(text) <= args.width else text[: args.width] + " [...]"  # noqa: E731
    for event in read_trace(path):
        kind = event["type"]
        if kind == "llm_call":
            usage = event["reply"]["usage"]
            tokens = f"prompt {usage['prompt_tokens']} completion {usage['completion_tokens']}"
            print(f"\n=== step {event['step']} | {tokens} | {event['reply']['latency_s']:.1f}s")
            print(cut(event["reply"]["text"]))
        elif kind == "exec":
            print(f"--- exec: {event['outcome']} ({event['duration_s']:.2f}s)")
            print(cut((event["stdout"] + (event["error"] or "")).rstrip()))
        elif kind in ("feedback", "final_answer", "score", "run_end"):
            print(
                f"--- {kind}: " + ", ".join(f"{k}={v}" for k, v in event.items() if k not in ("v", "seq", "ts", "type"))
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
