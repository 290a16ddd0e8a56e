#!/usr/bin/env python3
"""Re-run a recorded episode's observations under another context policy, with no LLM call, and
report the context tokens that policy would have sent at each step.

    .venv/bin/python scripts/replay.py traces/<run>.jsonl --policy-type observation_masking
    .venv/bin/python scripts/replay.py TRACE --policy-type short_context --policy-param context_tokens=1500

Tokens are counted with the tokenizer of the recorded run's model. Summarizing policies need an LLM
and are refused here.
"""

import argparse
import sys
from pathlib import Path

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
    parser.add_argument("trace", type=Path)
    parser.add_argument("--policy-type", required=True, help="a policy type or a preset of --config")
    parser.add_argument("--policy-param", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--config", type=Path, default=Path("config.json"), help="for presets")
    args = parser.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())
