#!/usr/bin/env python3
"""Context-build time per non-LLM policy at 10, 100 and 1,000 steps of history (goal: <= 5 ms at 1,000).

    .venv/bin/python bench/context_build.py [--repeats 20]

Measured as an episode sees it: the history grows one step at a time and the same policy instance
builds after each new step (token counts of old events are cached; indexes are rebuilt when the
corpus changed). The figure is the median of the builds for steps N .. N+repeats-1. Uses the real
tokenizer of the default model.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import TypeAdapter

from context_policies import AnyPolicyConfig, ContextBuilder, policy_from_config
from ctxbench.events import Event
from ctxbench.llm.catalog import DEFAULT as DEFAULT_MODEL
from ctxbench.llm.tokens import GGUFTokenCounter

POLICIES: dict[str, dict] = {
    "full_history": {"type": "full_history"},
    "sliding_window": {"type": "sliding_window", "turns": 4},
    "observation_masking": {"type": "observation_masking", "keep_last": 2},
    "retrieval": {"type": "retrieval", "keep_last": 2, "top_k": 3},
    "structured_state": {"type": "structured_state"},
    "budget_mix": {"type": "budget_mix", "context_tokens": 3000},
    "short_context": {"type": "pipeline", "context_tokens": 2500, "stages": [
        {"type": "retrieval", "keep_last": 3, "top_k": 2, "retrieved_tokens": 400},
        {"type": "observation_masking", "keep_last": 1}]},
}  # fmt: skip
WORDS = [
    "adata",
    "obs",
    "bulk_labels",
    "louvain",
    "cluster",
    "KeyError",
    "accuracy",
    "0.84",
    "predictions",
    "csv",
    "model",
    "fit",
    "X_pca",
]


def step_events(step: int, rng: random.Random) -> list[Event]:
    reply = "```python\n" + " ".join(rng.choices(WORDS, k=40)) + "\n```"
    output = "\n".join(" ".join(rng.choices(WORDS, k=12)) for _ in range(rng.randint(1, 15)))
    return [Event("assistant", reply, step), Event("observation", output, step, {"outcome": "ok", "stdout": output})]


def median_build_ms(config: dict, counter: GGUFTokenCounter, lengths: list[int], repeats: int) -> dict[int, float]:
    parsed = TypeAdapter(AnyPolicyConfig).validate_python(config)
    builder = ContextBuilder(policy_from_config(parsed), parsed, counter)
    rng = random.Random(0)
    history = [Event("system", "system prompt " * 30, 0), Event("task", "task statement " * 80, 0)]
    samples: dict[int, list[float]] = {n: [] for n in lengths}
    for step in range(1, max(lengths) + repeats):
        history.extend(step_events(step, rng))
        started = time.perf_counter()
        builder.build(history)  # the build the episode does after each step
        elapsed = time.perf_counter() - started
        for n in lengths:
            if n <= step < n + repeats:
                samples[n].append(elapsed)
    return {n: statistics.median(s) * 1e3 for n, s in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    lengths = [10, 100, 1000]
    counter = GGUFTokenCounter(DEFAULT_MODEL.path)
    print(f"{'policy':22s}" + "".join(f"{n:>10d} steps" for n in lengths))
    for name, config in POLICIES.items():
        figures = median_build_ms(config, counter, lengths, args.repeats)
        print(f"{name:22s}" + "".join(f"{figures[n]:13.2f} ms" for n in lengths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
