"""What a context policy did in an episode, and what keeping the prompt's prefix stable saved, from
its trace alone.

- activity: the share of model calls whose context the policy changed (dropped, masked, shrunk,
  summarized or retrieved something). A null score difference between policies means little when
  the policy hardly acted: this says how often it did.
- reused prompt tokens, two ways: the server's own count (the KV cache, `cached_tokens`, local
  llama.cpp and APIs that report it) and the client-side estimate the Complexity Trap study uses
  for API pricing: the prefix a request shares with the one before it counts as a cache read
  (here the shared share of the messages' text, applied to the call's prompt tokens).
- cost with cache reads: prompt tokens at the model's price, the estimated reused ones at
  `model.cache_read_discount` of it, completion tokens at theirs.
- wall time: the seconds the local server spent evaluating prompt tokens (its log slice in the
  episode folder, llama.cpp's `prompt eval time` lines), and an estimate of what the reused tokens
  saved: each reused token at the episode's own seconds per evaluated token.
"""

import re
from pathlib import Path
from typing import Any

from ctxbench.tracing.reader import EpisodeTrace

ACTIONS = ("dropped", "masked", "shrunk", "summarized", "retrieved")


def activity(trace: EpisodeTrace) -> float | None:
    """Share of model calls whose context the policy changed; None for an episode without calls."""
    calls = trace.llm_calls
    if not calls:
        return None
    acted = sum(any((call.get("context") or {}).get(action) for action in ACTIONS) for call in calls)
    return acted / len(calls)


def flat_text(messages: list[dict[str, Any]]) -> str:
    """The messages as the text a server's prompt template would lay out, role by role."""
    return "".join(f"\x00{m.get('role')}\x00{m.get('content') or ''}" for m in messages)


def shared_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def client_reused_tokens(trace: EpisodeTrace, policy_counts: bool = False) -> int:
    """The Complexity Trap's estimate: each request's prefix shared with the previous request is a
    cache read; its share of the request's text, times the request's prompt tokens (the server's
    count; policy_counts: the policy's own count of the context, as replay measures it)."""
    reused, previous = 0.0, ""
    for call in trace.llm_calls:
        text = flat_text(call.get("messages") or [])
        usage = (call.get("reply") or {}).get("usage") or {}
        counted = (call.get("context") or {}).get("tokens_after") if policy_counts else usage.get("prompt_tokens")
        prompt_tokens = int(counted or 0)
        if text and previous:
            reused += prompt_tokens * shared_prefix(previous, text) / len(text)
        previous = text
    return round(reused)


def cost_with_cache_reads(trace: EpisodeTrace, reused_tokens: int) -> float:
    """USD at the run's model prices, the reused prompt tokens at the cache-read discount."""
    model = (trace.start.get("config") or {}).get("model") or {}
    prompt_price = float(model.get("usd_per_mtok_prompt") or 0.0)
    completion_price = float(model.get("usd_per_mtok_completion") or 0.0)
    discount = float(model.get("cache_read_discount", 1.0))
    usage = [((call.get("reply") or {}).get("usage") or {}) for call in trace.llm_calls]
    prompt = sum(int(u.get("prompt_tokens") or 0) for u in usage)
    completion = sum(int(u.get("completion_tokens") or 0) for u in usage)
    return priced_usd(prompt, completion, reused_tokens, (prompt_price, completion_price, discount))


def priced_usd(prompt: int, completion: int, reused: int, prices: tuple[float, float, float]) -> float:
    """USD for these tokens at (prompt, completion) prices per million, the reused prompt tokens
    (at most the prompt) billed at the cache-read discount's share of the prompt price."""
    prompt_price, completion_price, discount = prices
    reused = min(reused, prompt)
    return ((prompt - reused) * prompt_price + reused * prompt_price * discount + completion * completion_price) / 1e6


PROMPT_EVAL = re.compile(r"prompt eval time =\s*([\d.]+) ms /\s*(\d+) tokens")
RATE_MIN_TOKENS = 32  # a call that evaluates a few tokens costs mostly its overhead, not per token


def server_prompt_evals(episode_dir: Path) -> list[tuple[float, int]] | None:
    """(seconds, tokens) of each prompt evaluation the local server did in this episode (the tokens
    its KV cache did not hold), from the episode's slice of the server log; None where there is no
    such log (an API, the scripted model)."""
    logs = sorted(episode_dir.glob("llama_server_*.log"))
    if not logs:
        return None
    text = "".join(log.read_text(errors="replace") for log in logs)
    return [(float(ms) / 1000, int(tokens)) for ms, tokens in PROMPT_EVAL.findall(text)]


def saved_seconds(cached_tokens: int, evals: list[tuple[float, int]]) -> float | None:
    """The reused tokens at the episode's own seconds per evaluated token, taken from its calls that
    evaluated RATE_MIN_TOKENS or more (an estimate: a token's cost grows with the context before it);
    None where no call evaluated that many."""
    batches = [(s, n) for s, n in evals if n >= RATE_MIN_TOKENS]
    tokens = sum(n for _, n in batches)
    return cached_tokens * sum(s for s, _ in batches) / tokens if tokens else None


def context_figures(trace: EpisodeTrace, cached_tokens: int = 0) -> dict[str, Any]:
    """The per-episode columns the results tables average per cell; cached_tokens: the prompt
    tokens the server reported reused in the episode (the agent's and the summarizer's)."""
    reused = client_reused_tokens(trace)
    prompt = sum(int(((c.get("reply") or {}).get("usage") or {}).get("prompt_tokens") or 0) for c in trace.llm_calls)
    evals = server_prompt_evals(trace.path.parent)
    eval_s = None if evals is None else sum(s for s, _ in evals)
    saved_s = None if evals is None else saved_seconds(cached_tokens, evals)
    return {"activity": activity(trace), "client_reused_tokens": reused,
            "client_reused_share": reused / prompt if prompt else None,
            "cost_usd_cache_reads": cost_with_cache_reads(trace, reused),
            "prompt_eval_s": eval_s, "cache_saved_s": saved_s}  # fmt: skip
