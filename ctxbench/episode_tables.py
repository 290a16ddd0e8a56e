"""Tables to load into pandas beside the summary: `episodes.csv`, one row per episode with every
figure of its result.json (its provenance too), and `steps.csv`, one row per model call with the
context it was sent (tokens before and after the policy, the server's prompt and reused KV-cache
tokens), its latency and what the step came to (a cell's outcome, a malformed reply's kind, an
answer taken or refused)."""

import csv
import json
from pathlib import Path
from typing import Any

CELL_COLUMNS = ("task", "policy", "mode", "model", "prompt", "repeat", "seed")


def episode_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = []
    for row in rows:
        totals = {f"totals.{key}": json.dumps(value) if isinstance(value, dict) else value
                  for key, value in row["totals"].items()}  # fmt: skip
        origin = row.get("provenance") or {}
        made_with = {f"provenance.{key}": json.dumps(value) if isinstance(value, dict) else value
                     for key, value in origin.items()}  # fmt: skip
        table.append({**{key: row[key] for key in CELL_COLUMNS}, "score": row["score"], "passed": row["passed"],
                      "stop_reason": row["stop_reason"], "wall_s": row["wall_s"], **totals, **made_with,
                      "trace": str(row["trace"].path)})  # fmt: skip
    return table


def step_outcome(events: list[dict[str, Any]]) -> str:
    """What one step came to, from its events: the cells it ran, the feedback it got, its answer."""
    parts = []
    for event in events:
        if event["type"] == "exec":
            parts.append(f"{'shell' if event.get('shell') else 'cell'}:{event['outcome']}")
        elif event["type"] == "feedback":
            parts.append(f"malformed:{event['kind']}")
        elif event["type"] == "final_answer":
            parts.append("answer:" + ("taken" if event.get("valid") else "refused"))
    return " ".join(parts) or "none"


def step_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = []
    for row in rows:
        trace = row["trace"]
        by_step: dict[int, list[dict[str, Any]]] = {}
        for event in trace.events:
            if "step" in event and event["type"] != "llm_call":
                by_step.setdefault(int(event["step"]), []).append(event)
        for call in trace.llm_calls:
            reply, context = call["reply"], call.get("context") or {}
            usage = reply.get("usage") or {}
            table.append({
                **{key: row[key] for key in CELL_COLUMNS}, "step": call["step"],
                "context_tokens_before": context.get("tokens_before"),
                "context_tokens_after": context.get("tokens_after"),
                "prompt_tokens": usage.get("prompt_tokens"), "completion_tokens": usage.get("completion_tokens"),
                "reused_tokens": usage.get("cached_tokens"), "latency_s": reply.get("latency_s"),
                "finish_reason": reply.get("finish_reason"), "from_cache": reply.get("from_cache", False),
                "retries": reply.get("retries", 0), "outcome": step_outcome(by_step.get(int(call["step"]), [])),
            })  # fmt: skip
    return table


def write_episode_tables(rows: list[dict[str, Any]], out: Path) -> list[Path]:
    written = []
    for name, table in (("episodes", episode_rows(rows)), ("steps", step_rows(rows))):
        if table:
            path = out / f"{name}.csv"
            columns = list(dict.fromkeys(key for line in table for key in line))  # every field any row has
            with open(path, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                writer.writerows(table)
            written.append(path)
    return written
