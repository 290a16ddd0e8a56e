#!/usr/bin/env python3
"""Speed of the embedded model through the server the harness starts: raw tokens/s, the share of
each prompt the server's KV cache served, and how much longer a step takes than its pure generation.

    .venv/bin/python bench/llm_speed.py [--server llama-server|llama-cpp-python] [--speculative ngram-mod]
        [--policies full_history,sliding_window,observation_masking] [--steps 8] [--model NAME]
        [--server-python OTHER_VENV/bin/python]

Another build compares the same way: `CTXBENCH_LLAMA_SERVER=/path/llama-server` for llama-server,
`--server-python` (that venv's llama_cpp.server) for llama-cpp-python.

Raw speed: a long fresh prompt with a one-token reply (prompt processing), then a 200-token reply
(generation), as the server itself times them. Then, per context policy, an agent-like episode: the
real policy builds each step's messages from the history (the system prompt, the task, the model's
own replies and short observations), the server answers, and the reply joins the history. Per
step: prompt tokens sent, the tokens its cache served, the wall time, and the latency ratio, wall
time ÷ (reply tokens ÷ generation tokens/s): 1.0 means the step cost only its generation.
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openai
from pydantic import TypeAdapter

from context_policies import AnyPolicyConfig, ContextBuilder, policy_from_config
from ctxbench.errors import HarnessError
from ctxbench.events import Event
from ctxbench.llm.base import ModelConfig
from ctxbench.llm.llama_server import LlamaServer
from ctxbench.llm.tokens import GGUFTokenCounter

POLICIES: dict[str, dict[str, Any]] = {
    "full_history": {"type": "full_history"},
    "sliding_window": {"type": "sliding_window", "turns": 3},
    "observation_masking": {"type": "observation_masking", "keep_last": 2},
    # Its summarizer calls go to the same server between the agent's: does the agent's prefix survive them?
    "summarization": {"type": "summarization", "keep_last": 2, "trigger_tokens": 900, "summary_reply_tokens": 96},
}
# llama-cpp-python reports no cached tokens; its verbose log says how much of the prompt it reused.
PREFIX_HIT = re.compile(r"Llama\.generate: (\d+) prefix-match hit, remaining (\d+) prompt tokens to eval")
PROMPT_EVAL = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
EVAL = re.compile(r"^\S*\s*eval time =\s*([\d.]+) ms /\s*(\d+) runs", re.MULTILINE)

SYSTEM = "You are a data analyst working in a Python session. Reply with one ```python block per step."
TASK = (
    "Annotate the held-out cells of /data/pbmc.h5ad with cell types. The AnnData has 700 cells and 765 genes; "
    "obs has louvain clusters and, for 80 % of the cells, bulk_labels. Write /work/predictions.csv with columns "
    "cell_id and label. " * 6
)


def observation(step: int, lines: int) -> str:
    return "stdout:\n" + "\n".join(f"gene_{step}_{i}\t{0.1 * i * step:.3f}\t{(i * step) % 7}" for i in range(lines))


class Server:
    """The harness's server for `config`, and what it says about each request."""

    def __init__(self, config: ModelConfig, log: Path, python: str) -> None:
        self.config, self.log = config, log
        self.server = LlamaServer(config, log, python=python)
        self.client: openai.OpenAI | None = None

    def __enter__(self) -> "Server":
        self.server.start()
        self.server.probe()  # a build that cannot run here says so, with its crash report
        self.client = openai.OpenAI(base_url=self.server.base_url, api_key="local", max_retries=0, timeout=900)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        self.server.stop()

    def peak_rss_mb(self) -> float:
        """The server process's peak resident memory (VmHWM), MB."""
        assert self.server.process is not None
        status = Path(f"/proc/{self.server.process.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]

    def ask(self, messages: list[dict[str, Any]], max_tokens: int, seed: int = 0) -> dict[str, Any]:
        """One request: its reply, usage, the prompt tokens the cache served, wall time and the
        server's own timings (llama-server only)."""
        assert self.client is not None
        offset = self.log.stat().st_size
        started = time.perf_counter()
        response = self.client.chat.completions.create(
            model=self.config.name, messages=messages, max_tokens=max_tokens, temperature=0.0, seed=seed,  # type: ignore[arg-type]
        )  # fmt: skip
        wall = time.perf_counter() - started
        usage = response.usage
        assert usage is not None
        details = usage.prompt_tokens_details
        cached = details.cached_tokens if details is not None else None
        timings = getattr(response, "timings", None)  # llama-server's own
        if timings is None:  # llama-cpp-python: its log has them
            timings = log_timings(self.log, offset)
        if cached is None:
            cached = int(timings.pop("cache_n", 0))
        return {"text": response.choices[0].message.content or "", "sent": usage.prompt_tokens,
                "cached": cached, "completion": usage.completion_tokens, "wall_s": wall,
                "timings": timings}  # fmt: skip


def log_timings(log: Path, offset: int) -> dict[str, float]:
    """llama-cpp-python's verbose log of one request, in llama-server's `timings` terms."""
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    timings: dict[str, float] = {}
    if hit := PREFIX_HIT.search(text):
        timings["cache_n"] = int(hit.group(1))
    if prompt := PROMPT_EVAL.search(text):
        timings["prompt_ms"], timings["prompt_n"] = float(prompt.group(1)), int(prompt.group(2))
    if generation := EVAL.search(text):
        timings["predicted_ms"], timings["predicted_n"] = float(generation.group(1)), int(generation.group(2))
    return timings


def raw_speed(server: Server) -> tuple[float, float]:
    """Prompt processing (a fresh long prompt, one reply token) and generation (a 200-token reply)
    tokens/s, as the server times them."""
    fresh = [{"role": "user", "content": f"{time.time()} {TASK}"}]  # a new prefix: nothing cached
    prompt = server.ask(fresh, 1)["timings"]
    count = [{"role": "user", "content": f"{time.time()} Write the numbers 1 to 300 in words, comma-separated."}]
    generation = server.ask(count, 200)["timings"]
    return prompt["prompt_n"] / prompt["prompt_ms"] * 1e3, generation["predicted_n"] / generation["predicted_ms"] * 1e3


def episode(server: Server, policy: dict[str, Any], counter: GGUFTokenCounter, steps: int,
            reply_tokens: int, observation_lines: int) -> list[dict[str, Any]]:  # fmt: skip
    parsed = TypeAdapter(AnyPolicyConfig).validate_python(policy)
    summaries: list[dict[str, Any]] = []

    def summarize(messages: list[Any], max_tokens: int) -> str:
        summaries.append(server.ask(messages, max_tokens))
        return str(summaries[-1]["text"])

    builder = ContextBuilder(policy_from_config(parsed), parsed, counter, summarize)
    history = [Event("system", SYSTEM, 0), Event("task", TASK, 0)]
    rows = []
    for step in range(1, steps + 1):
        summaries.clear()
        messages = builder.build(history).messages
        row = server.ask(messages, reply_tokens, seed=step)  # type: ignore[arg-type]
        rows.append({"step": step, "summarizer_calls": len(summaries),
                     "summarizer_s": sum(c["wall_s"] for c in summaries), **row})  # fmt: skip
        history.append(Event("assistant", row["text"], step))
        history.append(Event("observation", observation(step, observation_lines), step, {"outcome": "ok"}))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["llama-server", "llama-cpp-python"], default="llama-server")
    parser.add_argument("--speculative", default="none", help="llama-server: none (here), ngram-simple, ngram-mod")
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--steps", type=int, default=8)
    # Defaults from the issue-15 sweeps' traces (769 steps): a reply's median is 151 tokens, the new
    # prompt tokens per step (observation and feedback) 73, p75 139; 8 lines here are about 110.
    parser.add_argument("--reply-tokens", type=int, default=160)
    parser.add_argument("--observation-lines", type=int, default=8)
    parser.add_argument("--model", default=ModelConfig().name)
    parser.add_argument("--server-python", default=sys.executable, help="llama-cpp-python: the venv to serve from")
    args = parser.parse_args()
    config = ModelConfig(name=args.model, local_server=args.server, speculative=args.speculative)
    counter = GGUFTokenCounter(config.gguf_path())
    load_before = os.getloadavg()
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with Server(config, Path(tmp) / "server.log", args.server_python) as server:
                raw_speed(server)  # warm-up: the first calls page the weights in
                prompt_tps, generation_tps = raw_speed(server)
                for name in args.policies.split(","):
                    results[name] = episode(server, POLICIES[name], counter, args.steps, args.reply_tokens,
                                            args.observation_lines)  # fmt: skip
                peak_mb = server.peak_rss_mb()
        except HarnessError as exc:
            print(f"{args.server}: {exc}", file=sys.stderr)
            return 1
    load_after = os.getloadavg()
    print(f"server: {args.server}, speculative: {args.speculative}, model: {config.name}, {config.n_threads} threads")
    print(f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(f"prompt processing: {prompt_tps:.1f} tok/s   generation: {generation_tps:.1f} tok/s   "
          f"server peak RSS: {peak_mb:.0f} MB (n_ctx {config.n_ctx})")  # fmt: skip
    print("ratio: wall s / (reply tokens / generation tok/s); prompt_s, gen_s: the server's own timings;")
    print("ratio_gen: wall s / gen_s (the reply's generation at the step's context length); *: after a summarizer call")
    print("policy               step  sent  cached  reused  reply  wall_s  prompt_s  gen_s  ratio  ratio_gen")
    for name, rows in results.items():
        for r in rows:
            gen_s = r["timings"].get("predicted_ms", 0) / 1e3
            r["ratio"] = r["wall_s"] / (max(1, r["completion"]) / generation_tps)
            r["ratio_gen"] = r["wall_s"] / gen_s if gen_s else float("nan")
            mark = " *" if r["summarizer_calls"] else ""
            print(f"{name:20s} {r['step']:4d} {r['sent']:5d} {r['cached']:7d} {r['cached'] / r['sent']:7.1%} "
                  f"{r['completion']:6d} {r['wall_s']:7.2f} {r['timings'].get('prompt_ms', 0) / 1e3:9.2f} "
                  f"{gen_s:6.2f} {r['ratio']:6.2f} {r['ratio_gen']:10.2f}{mark}")  # fmt: skip
    print("\npolicy               reused (all steps)  median ratio / ratio_gen (steps 2+)  median step s  summarizer s")
    for name, rows in results.items():
        reused = sum(r["cached"] for r in rows) / sum(r["sent"] for r in rows)
        later = rows[1:] or rows
        ratio, ratio_gen = (statistics.median(r[key] for r in later) for key in ("ratio", "ratio_gen"))
        median_s, summarizer_s = statistics.median(r["wall_s"] for r in rows), sum(r["summarizer_s"] for r in rows)
        print(f"{name:20s} {reused:18.1%} {ratio:22.2f} / {ratio_gen:.2f} {median_s:21.2f} {summarizer_s:13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
