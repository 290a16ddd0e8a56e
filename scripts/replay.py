#!/usr/bin/env python3
"""Re-run a recorded episode's observations under another context policy, with no LLM call, and
report the context tokens that policy would have sent at each step.

    .venv/bin/python scripts/replay.py traces/<run>.jsonl --policy-type observation_masking
    .venv/bin/python scripts/replay.py TRACE --policy-type short_context --policy-param context_tokens=1500
    .venv/bin/python scripts/replay.py --experiment results/study \
        --policies observation_masking,sliding_window,short_context     # every trajectory: replay.csv

With --experiment, every recorded trajectory of a sweep is replayed under each listed policy (types
or presets of --config), and results/<experiment>/replay.csv gets one row per trajectory and
policy: the context tokens the run sent and those the policy would have sent, with the client-side
prefix-cache estimate of each (the prefix a request shares with the one before it).

Tokens are counted with the tokenizer of the recorded run's model. Summarizing policies need an LLM
and are refused here.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import TypeAdapter, ValidationError

from context_policies import AnyPolicyConfig
from ctxbench.cli import select_policy
from ctxbench.config import describe_validation_error, read_config_file
from ctxbench.errors import ConfigError, HarnessError
from ctxbench.llm.base import ModelConfig
from ctxbench.llm.tokens import counter_for
from ctxbench.replay import replay, totals
from ctxbench.tracing.reader import load_episode


def policy_dict(args: argparse.Namespace) -> dict:
    raw = read_config_file(args.config) if args.config.is_file() else {}
    select_policy(raw, args.policy_type, args.policy_param)
    return dict(raw["policy"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace", type=Path, nargs="?")
    parser.add_argument("--policy-type", help="a policy type or a preset of --config")
    parser.add_argument("--experiment", type=Path, help="a sweep's results folder: replay every trajectory")
    parser.add_argument("--policies", default="", help="with --experiment: comma-separated types or presets")
    parser.add_argument("--policy-param", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--config", type=Path, default=Path("config.json"), help="for presets")
    args = parser.parse_args()
    if args.experiment:
        return replay_sweep(args)
    if not args.trace or not args.policy_type:
        parser.error("give a TRACE and --policy-type, or --experiment DIR --policies A,B")
    try:
        raw = policy_dict(args)
        try:
            policy = TypeAdapter(AnyPolicyConfig).validate_python(raw)
        except ValidationError as exc:
            raise ConfigError(f"policy: {describe_validation_error(exc, raw)}") from None
        model = ModelConfig.model_validate(load_episode(args.trace).start["config"]["model"])
        rows = replay(args.trace, policy, counter_for(model))
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{'step':>4} {'original':>9} {'replayed':>9}")
    for row in rows:
        note = "  over budget" if row["over_budget"] else ""
        print(f"{row['step']:>4} {row['original_tokens']:>9} {row['replayed_tokens']:>9}{note}")
    original, replayed = totals(rows)
    print(
        f"total {original} -> {replayed} context tokens ({replayed / max(1, original):.2f}x) under {args.policy_type}"
    )
    return 0


def policy_config(args: argparse.Namespace, name: str) -> AnyPolicyConfig:
    raw = read_config_file(args.config) if args.config.is_file() else {}
    select_policy(raw, name, [])
    try:
        return TypeAdapter(AnyPolicyConfig).validate_python(raw["policy"])
    except ValidationError as exc:
        raise ConfigError(f"policy {name}: {describe_validation_error(exc, raw['policy'])}") from None


def replay_sweep(args: argparse.Namespace) -> int:
    import csv

    from ctxbench.replay import replay_experiment

    try:
        names = [n.strip() for n in args.policies.split(",") if n.strip()]
        if not names:
            raise ConfigError("--experiment needs --policies A,B,...")
        policies = {name: policy_config(args, name) for name in names}
        counters: dict[str, Any] = {}  # one tokenizer per model, however many trajectories ran with it

        def counter_of(trace: Any) -> Any:
            model = trace.start["config"]["model"]
            key = json.dumps(model, sort_keys=True)
            if key not in counters:
                counters[key] = counter_for(ModelConfig.model_validate(model))
            return counters[key]

        table = replay_experiment(args.experiment, policies, counter_of)
        if not table:
            raise HarnessError(f"no trajectories under {args.experiment} (results/<experiment>/<task>/<cell>/<i>/)")
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.experiment / "replay.csv"
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    print(f"{'recorded':>16} {'replayed as':>22} {'episodes':>8} {'sent':>9} {'would send':>10} {'reused est.':>11}")
    for (recorded, replayed), rows in sorted(group(table).items()):
        sent, would = sum(r["original_tokens"] for r in rows), sum(r["replayed_tokens"] for r in rows)
        reused = sum(r["replayed_reused_tokens"] for r in rows)
        print(f"{recorded:>16} {replayed:>22} {len(rows):>8} {sent:>9} {would:>10} {reused / max(1, would):>10.0%}")
    print(f"table: {out}")
    return 0


def group(table: list[dict]) -> dict[tuple[str, str], list[dict]]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in table:
        groups.setdefault((str(row["recorded_policy"]), str(row["replayed_policy"])), []).append(row)
    return groups


if __name__ == "__main__":
    sys.exit(main())
