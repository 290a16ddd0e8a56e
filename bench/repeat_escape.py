#!/usr/bin/env python3
"""Does a repetition penalty break the embedded model's copy loops and degenerate repetition? The
contexts of a sweep's agentic episodes are replayed at the calls that went wrong: a reply the repeat
guard refused (a copy of an earlier reply, in the ladder 131 of 307 steps) and a reply cut off at the
token limit (the same line over and over). Each is sampled again under each penalty, with the
temperature the call had, and counted: copies (the reply equal to an assistant message already in
its context), cut-off replies, and replies that are neither and hold a code block.

    .venv/bin/python bench/repeat_escape.py results/issue17_ladder_0.5b_v2 [--per-kind 12] \\
        [--penalties 1.0,1.05,1.1] [--seeds 1] [--model qwen2.5-coder-0.5b] [--hidden]

--hidden adds, for the copies, the same context with the copied reply replaced by a one-line stub.
"""

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ctxbench.llm import ModelConfig, make_backend
from ctxbench.modes.scaffold import normalized

KINDS = ("copy", "cut_off")


@dataclass
class Situation:
    kind: str  # copy: the reply repeated an earlier one; cut_off: it ran to the token limit
    episode: str
    step: int
    messages: list[dict[str, Any]]
    temperature: float | None
    reply: str  # what the model replied then

    def hidden(self) -> "Situation":
        """The same context with every earlier copy of the reply replaced by a one-line stub: is the
        copy in the context what the model copies?"""
        messages = [{**m, "content": HIDDEN} if m["role"] == "assistant" and same(m, self.reply) else m
                    for m in self.messages]  # fmt: skip
        return Situation(self.kind, self.episode, self.step, messages, self.temperature, self.reply)


HIDDEN = "[my code of this step failed; it is not shown again]"


def same(message: dict[str, Any], text: str) -> bool:
    return normalized(message.get("content") or "") == normalized(text)


def situations(experiment: Path, per_kind: int) -> list[Situation]:
    """The first call of each kind in each agentic episode, up to per_kind of each, taken from the
    tasks in turn (a copy loop is likelier on some tasks than on others)."""
    by_task: dict[str, dict[str, list[Situation]]] = {kind: {} for kind in KINDS}
    for trace in sorted(experiment.glob("*/*__agentic__*/*/trace.jsonl")):
        events = [json.loads(line) for line in trace.read_text().splitlines()]
        repeated = {e["step"] for e in events if e["type"] == "feedback" and e.get("kind") == "repeated"}
        seen: set[str] = set()
        for event in events:
            if event["type"] != "llm_call" or "messages" not in event:
                continue
            kind = "cut_off" if event["reply"].get("finish_reason") == "length" else None
            kind = kind or ("copy" if event["step"] in repeated else None)
            if kind and kind not in seen:
                seen.add(kind)
                name = str(trace.parent.relative_to(experiment))
                situation = Situation(kind, name, event["step"], event["messages"], event.get("temperature"),
                                      event["reply"]["text"])  # fmt: skip
                by_task[kind].setdefault(name.split("/")[0], []).append(situation)
    chosen = []
    for kind in KINDS:
        queues = list(by_task[kind].values())
        taken: list[Situation] = []
        while queues and len(taken) < per_kind:
            taken += [queue.pop(0) for queue in queues][: per_kind - len(taken)]
            queues = [queue for queue in queues if queue]
        chosen += taken
    return chosen


def verdict(situation: Situation, text: str, finish_reason: str | None) -> str:
    earlier = {normalized(m.get("content") or "") for m in situation.messages if m["role"] == "assistant"}
    if finish_reason == "length":
        return "cut_off"
    if normalized(text) in earlier | {normalized(situation.reply), HIDDEN}:
        return "copy"
    return "code" if "```" in text else "other"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", type=Path)
    parser.add_argument("--per-kind", type=int, default=12)
    parser.add_argument("--penalties", default="1.0,1.05,1.1")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--out", type=Path, help="a JSONL file of every sample (default: none)")
    parser.add_argument("--hidden", action="store_true", help="also: copy situations with the copied reply hidden")
    args = parser.parse_args()
    chosen = situations(args.experiment, args.per_kind)
    penalties = [float(p) for p in args.penalties.split(",")]
    config = ModelConfig(name=args.model, reply_tokens=768, temperature=0.5)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        llm = make_backend(config, log_dir=Path(tmp))
        try:
            print(f"{args.model}: {len(chosen)} situations from {args.experiment}, load {os.getloadavg()[0]:.2f}")
            for situation in chosen:
                variants = [(f"penalty {penalty:.2f}", penalty, situation) for penalty in penalties]
                if args.hidden and situation.kind == "copy":
                    variants.append(("copied reply hidden", 1.0, situation.hidden()))
                for label, penalty, shown in variants:
                    llm.config.repeat_penalty = penalty
                    for seed in range(args.seeds):
                        reply = llm.generate(shown.messages, seed=seed, temperature=shown.temperature)
                        outcome = verdict(situation, reply.text, reply.finish_reason)
                        tally = counts.setdefault((situation.kind, label), {})
                        tally[outcome] = tally.get(outcome, 0) + 1
                        if args.out:
                            with args.out.open("a") as out:
                                out.write(json.dumps({"episode": situation.episode, "step": situation.step,
                                                      "kind": situation.kind, "variant": label, "seed": seed,
                                                      "outcome": outcome, "text": reply.text}) + "\n")  # fmt: skip
        finally:
            llm.close()
    print(f"load at the end {os.getloadavg()[0]:.2f}")
    print(f"{'situation':10s} {'variant':20s} {'n':>3s} {'copy':>5s} {'cut_off':>8s} {'code':>5s} {'other':>6s}")
    for (kind, label), tally in sorted(counts.items()):
        n = sum(tally.values())
        widths = (("copy", 5), ("cut_off", 8), ("code", 5), ("other", 6))
        cells = " ".join(f"{tally.get(outcome, 0):>{width}d}" for outcome, width in widths)
        print(f"{kind:10s} {label:20s} {n:3d} {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
