#!/usr/bin/env python3
"""Speed of the embedded model with the llama.cpp build in use, measured through the same server the
harness starts.

    .venv/bin/python bench/llm_speed.py [--steps 8] [--server-python OTHER_VENV/bin/python]

Prints prompt-processing and generation tokens/s (the server's own timings, read from its log), and
for a growing agent-like conversation (each step appends the model's own reply and an observation)
the tokens sent versus the tokens the server evaluated: the rest came from its KV prefix cache.
`--server-python` runs the server from another venv, e.g. one holding a native build, to compare.
CPU-bound: run it on an otherwise idle machine; the load average is printed beside the figures.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openai

from ctxbench.errors import HarnessError
from ctxbench.llm.base import ModelConfig
from ctxbench.llm.llama_server import LlamaServer

# llama-cpp-python's verbose server log: one line per request on prefix reuse, then llama.cpp's perf.
PREFIX = re.compile(r"Llama\.generate: (\d+) prefix-match hit, remaining (\d+) prompt tokens to eval")
PROMPT_EVAL = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
EVAL = re.compile(r"^\S*\s*eval time =\s*([\d.]+) ms /\s*(\d+) runs", re.MULTILINE)

SYSTEM = "You are a data analyst. Reply with one ```python block per step."
TASK = (
    "Annotate the held-out cells of /data/pbmc.h5ad with cell types. The AnnData has 700 cells and 765 genes; "
    "obs has louvain clusters and, for 80 % of the cells, bulk_labels. Write /work/predictions.csv with columns "
    "cell_id and label. " * 6
)
OBSERVATION = "stdout:\n" + "\n".join(f"gene_{i}\t{0.1 * i:.3f}\t{i % 7}" for i in range(40))


def log_delta(log: Path, offset: int) -> tuple[str, int]:
    text = log.read_text(errors="replace")
    return text[offset:], len(text)


def raw_speed(client: openai.OpenAI, model: str, log: Path) -> tuple[float, float]:
    """Server-side tokens/s: a long fresh prompt for prompt processing, a long reply for generation."""
    offset = len(log.read_text(errors="replace"))
    fresh = [{"role": "user", "content": f"{time.time()} {TASK}"}]  # a new prefix: nothing cached
    client.chat.completions.create(model=model, max_tokens=1, temperature=0.0, messages=fresh)  # type: ignore[arg-type]
    count = [{"role": "user", "content": "Write the numbers 1 to 300 in words."}]
    client.chat.completions.create(model=model, max_tokens=200, temperature=0.0, messages=count)  # type: ignore[arg-type]
    text, _ = log_delta(log, offset)
    prompt = [(float(ms), int(n)) for ms, n in PROMPT_EVAL.findall(text)]
    gen = [(float(ms), int(n)) for ms, n in EVAL.findall(text)]
    ms, n = max(prompt, key=lambda p: p[1])
    gms, gn = max(gen, key=lambda g: g[1])
    return n / ms * 1e3, gn / gms * 1e3


def conversation(client: openai.OpenAI, model: str, log: Path, steps: int) -> list[dict[str, float]]:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": TASK}]
    rows = []
    for step in range(1, steps + 1):
        offset = len(log.read_text(errors="replace"))
        started = time.perf_counter()
        reply = client.chat.completions.create(model=model, messages=messages, max_tokens=96, temperature=0.0,  # type: ignore[arg-type]
                                               seed=step)  # fmt: skip
        wall = time.perf_counter() - started
        text, _ = log_delta(log, offset)
        hit = PREFIX.search(text)
        sent = reply.usage.prompt_tokens if reply.usage else 0
        evaluated = int(hit.group(2)) if hit else sent
        rows.append({"step": step, "sent": sent, "evaluated": evaluated, "wall_s": wall,
                     "completion": reply.usage.completion_tokens if reply.usage else 0})  # fmt: skip
        messages.append({"role": "assistant", "content": reply.choices[0].message.content or ""})
        messages.append({"role": "user", "content": f"Observation {step}:\n{OBSERVATION}"})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--server-python", default=sys.executable, help="interpreter of the venv to serve from")
    args = parser.parse_args()
    config = ModelConfig()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with LlamaServer(config, log, python=args.server_python) as server:
            try:
                server.probe()  # a build that cannot run here says so, with its crash report
            except HarnessError as exc:
                print(f"{args.server_python}: {exc}", file=sys.stderr)
                return 1
            client = openai.OpenAI(base_url=server.base_url, api_key="local", max_retries=0, timeout=600)
            raw_speed(client, config.name, log)  # warm-up: first calls page the weights in
            prompt_tps, gen_tps = raw_speed(client, config.name, log)
            rows = conversation(client, config.name, log, args.steps)
            client.close()
    load_after = os.getloadavg()
    print(f"server python: {args.server_python}")
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"prompt processing: {prompt_tps:.1f} tok/s   generation: {gen_tps:.1f} tok/s   ({config.n_threads} threads)")
    print("step  sent  evaluated  reused   wall_s")
    for r in rows:
        reused = 1 - r["evaluated"] / r["sent"] if r["sent"] else 0.0
        print(f"{r['step']:4d} {r['sent']:5.0f} {r['evaluated']:10.0f} {reused:7.1%} {r['wall_s']:8.2f}")
    sent, evaluated = sum(r["sent"] for r in rows), sum(r["evaluated"] for r in rows)
    print(f"total: {sent:.0f} prompt tokens sent, {evaluated:.0f} evaluated: {1 - evaluated / sent:.1%} served "
          f"from the KV prefix cache; median step {statistics.median(r['wall_s'] for r in rows):.2f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
