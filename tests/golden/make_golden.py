#!/usr/bin/env python3
"""The behaviour a refactor must keep, as files: a scripted sweep's summary.csv and the replay counts
of one recorded scripted episode under every policy that needs no LLM.

    .venv/bin/python tests/golden/make_golden.py --write    # record (only when behaviour is meant to change)
    .venv/bin/python tests/golden/make_golden.py            # compare (tests/test_golden.py does this)

The summary is byte-for-byte the same except its wall_s column (seconds on the clock, different every
run), which is dropped before comparing. The trace is recorded once and kept here, so replay counts
are compared on the same input.
"""

import argparse
import csv
import io
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pydantic import TypeAdapter  # noqa: E402

from context_policies import AnyPolicyConfig  # noqa: E402
from ctxbench.llm.base import ModelConfig  # noqa: E402
from ctxbench.llm.tokens import counter_for  # noqa: E402
from ctxbench.replay import replay  # noqa: E402

HERE = Path(__file__).resolve().parent
SUMMARY, TRACE, REPLAY = HERE / "sweep_summary.csv", HERE / "replay_trace.jsonl", HERE / "replay_counts.json"
REFERENCE = (ROOT / "benchmarks/pbmc_annotation/reference.py").read_text()
PREDICT = """from sklearn.linear_model import LogisticRegression
def predict(train, test):
    m = LogisticRegression(max_iter=2000).fit(train.X, train.obs['bulk_labels'].astype(str))
    return m.predict(test.X)
"""  # what controller mode measures (cross-validated) besides the answer file the reference writes
CLOCK_COLUMNS = ("wall_s", "llm_s")
REPLAY_POLICIES = {
    "full_history": {"type": "full_history"},
    "sliding_window": {"type": "sliding_window", "turns": 2},
    "observation_masking": {"type": "observation_masking", "keep_last": 1},
    "retrieval": {"type": "retrieval", "keep_last": 1, "top_k": 2},
    "structured_state": {"type": "structured_state"},
    "budget_mix": {"type": "budget_mix", "context_tokens": 1500},
    "pipeline": {"type": "pipeline", "context_tokens": 1200,
                 "stages": [{"type": "retrieval", "keep_last": 2}, {"type": "observation_masking", "keep_last": 1}]},
}  # fmt: skip


def code(body: str) -> str:
    return f"```python\n{body}\n```"


def sweep_summary(tmp: Path) -> str:
    """summary.csv of a 2 policies x 2 modes x 2 repeats scripted sweep, without its clock columns."""
    from ctxbench.results import load_rows, summarize, write_tables
    from ctxbench.sweep import SweepConfig, run_sweep

    reply = code(REFERENCE + "\n" + PREDICT) + "\nFINAL_ANSWER: predictions.csv"
    base = {"model": {"backend": "scripted", "scripted_replies": [code("print('looking')"), reply, reply]},
            "budget": {"max_steps": 3}, "telemetry": {"traces_dir": str(tmp / "traces")},
            "policy_presets": {"short": {"type": "sliding_window", "turns": 1}}}  # fmt: skip
    (tmp / "base.json").write_text(json.dumps(base))
    sweep = SweepConfig(experiment="golden", base_config=tmp / "base.json", policies=["full_history", "short"],
                        modes=["agentic", "controller"], repeats=2, workers=1, results_dir=tmp / "results")  # fmt: skip
    experiment = run_sweep(sweep, resume=False)
    csv_path, _ = write_tables(summarize(load_rows(experiment)), experiment)
    rows = list(csv.DictReader(csv_path.read_text().splitlines()))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[c for c in rows[0] if c not in CLOCK_COLUMNS], lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: v for k, v in row.items() if k not in CLOCK_COLUMNS} for row in rows)
    return out.getvalue()


def record_trace(tmp: Path) -> None:
    from ctxbench.config import validate_config
    from ctxbench.runner import run_episode

    replies = [code("print('x' * 400)"), code("import json\nprint(json.dumps({'acc': 0.7}))"),
               code("print('z' * 400)"), "Let me think about it.", code("print(1)")]  # fmt: skip
    raw = {"model": {"backend": "scripted", "scripted_replies": replies}, "budget": {"max_steps": 5},
           "telemetry": {"traces_dir": str(tmp / "traces")}, "out": str(tmp / "results")}  # fmt: skip
    TRACE.write_bytes(run_episode(validate_config(raw, "golden")).trace_path.read_bytes())


def replay_counts() -> str:
    counter = counter_for(ModelConfig(backend="scripted"))
    counts = {}
    for name, raw in REPLAY_POLICIES.items():
        policy = TypeAdapter(AnyPolicyConfig).validate_python(raw)
        counts[name] = [row["replayed_tokens"] for row in replay(TRACE, policy, counter)]
    return json.dumps(counts, indent=1) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the golden files anew")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.write:
            record_trace(Path(tmp))
        summary, counts = sweep_summary(Path(tmp)), replay_counts()
    if args.write:
        SUMMARY.write_text(summary)
        REPLAY.write_text(counts)
        print(f"wrote {SUMMARY}, {TRACE}, {REPLAY}")
        return 0
    same = summary == SUMMARY.read_text() and counts == REPLAY.read_text()
    print("same as the golden files" if same else "DIFFERENT from the golden files")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
