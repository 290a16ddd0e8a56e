"""The results tables of a scripted sweep: tokens by who spent them, stop reasons with the harness's
failures counted apart, n, intervals, pairs and the pooled paired test."""

import csv
import json
from pathlib import Path

import pytest

from ctxbench.results import load_rows, paired_table, summarize, write_tables
from ctxbench.sweep import SweepConfig, run_sweep
from tests.conftest import needs_bwrap
from tests.test_sweep import PREDICT, REFERENCE

pytestmark = needs_bwrap
ANSWER = f"```python\n{REFERENCE}\n{PREDICT}```\nFINAL_ANSWER: predictions.csv"
LOOK = "```python\nprint('looking ' * 50)\n```"
# full_history: look, look, a reply without an action (feedback), the answer. summarization: look,
# look, then the summarizer gets the third reply as its summary, and the agent answers.
REPLIES = [LOOK, LOOK, "a summary of what was seen " * 4, ANSWER]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("results")
    base = {
        "model": {"backend": "scripted", "name": "good", "scripted_replies": REPLIES},
        "budget": {"max_steps": 4},
        "telemetry": {"traces_dir": str(tmp / "traces")},
        "policy_presets": {"summarizing": {"type": "summarization", "keep_last": 1, "trigger_tokens": 1}},
    }
    broken = {"name": "unreachable", "scripted_replies": [LOOK, {"fail": "llm_error"}]}
    (tmp / "base.json").write_text(json.dumps(base))
    sweep = SweepConfig(experiment="table", base_config=tmp / "base.json", policies=["full_history", "summarizing"],
                        models=["good", broken], repeats=2, results_dir=tmp / "results")  # fmt: skip
    return run_sweep(sweep, resume=False)


@pytest.fixture(scope="module")
def tables(experiment):
    rows = load_rows(experiment)
    table, paired = summarize(rows), paired_table(rows)
    write_tables(table, experiment, paired)
    by_cell = {(r["policy"], r["model"]): r for r in csv.DictReader((experiment / "summary.csv").open())}
    return by_cell, list(csv.DictReader((experiment / "paired.csv").open()))


def test_tokens_are_shown_by_who_spent_them(tables):
    cells, _ = tables
    full, summarizing = cells[("full_history", "good")], cells[("summarizing", "good")]
    assert float(full["summarizer_tokens"]) == 0 and float(summarizing["summarizer_tokens"]) > 0
    for cell in (full, summarizing):
        parts = float(cell["agent_prompt_tokens"]) + float(cell["agent_completion_tokens"])
        assert float(cell["total_tokens"]) == pytest.approx(parts + float(cell["summarizer_tokens"]))


def test_harness_failures_are_counted_apart_not_scored(tables):
    cells, _ = tables
    failed = cells[("full_history", "unreachable")]
    assert (failed["episodes"], failed["n"], failed["harness_failures"]) == ("2", "0", "2")
    assert failed["stop_reasons"] == "!llm_error:2"
    assert failed["score"] == "" and float(failed["failed_episode_tokens"]) > 0
    good = cells[("full_history", "good")]
    assert (good["n"], good["harness_failures"], good["stop_reasons"]) == ("2", "0", "final_answer:2")


def test_every_estimate_states_its_n_and_interval(tables):
    cells, _ = tables
    good = cells[("summarizing", "good")]
    assert float(good["score"]) > 0.8 and good["success"] == "1.0"
    # 2 passes: Wilson (continuity-corrected), which leaves room below 1; accuracy: Student's t
    assert good["success_ci"] == "wilson_cc" and float(good["success_ci_low"]) < 0.5
    assert good["score_ci"] == "t" and float(good["score_ci_low"]) < float(good["score"]) < float(good["score_ci_high"])
    assert (good["pairs"], good["unpaired"]) == ("2", "0")  # the same answers as full_history: p = 1
    assert (good["delta_vs_full_history"], good["delta_p"], good["delta_test"]) == ("0.0", "1.0", "all differences 0")
    assert cells[("full_history", "good")]["pairs"] == "0"


def test_pairs_are_pooled_per_policy_with_their_count(tables):
    _, paired = tables
    (row,) = [r for r in paired if (r["policy"], r["model"]) == ("summarizing", "good")]
    assert (row["tasks"], row["pairs"], row["unpaired"]) == ("1", "2", "0")
    assert row["delta_test"] in ("exact sign-flip", "all differences 0")
    assert not [r for r in paired if r["model"] == "unreachable"]  # nothing scored, nothing to pair


def test_compare_runs_pairs_two_sweeps_episode_by_episode(tmp_path):
    import shutil
    import subprocess
    import sys

    golden = Path(__file__).resolve().parent / "golden/replay_trace.jsonl"
    scores = {"before": [0.0, 0.0, 1.0], "after": [1.0, 1.0, 1.0]}
    for name, values in scores.items():
        for repeat, value in enumerate(values):
            folder = tmp_path / name / "pbmc_annotation/full_history__agentic__m" / str(repeat)
            folder.mkdir(parents=True)
            shutil.copy(golden, folder / "trace.jsonl")
            result = {"task": "pbmc_annotation", "policy": "full_history", "reasoning_mode": "agentic", "model": "m",
                      "repeat": repeat, "seed": repeat, "stop_reason": "final_answer", "wall_time_s": 1.0,
                      "score": {"value": value, "passed": value == 1.0}, "totals": {"steps": 1}}  # fmt: skip
            (folder / "result.json").write_text(json.dumps(result))
    script = Path(__file__).resolve().parent.parent / "scripts/compare_runs.py"
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "before"), str(tmp_path / "after")],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "second - first: +0.667" in out and "over 3 pairs (0 unpaired)" in out and "exact sign-flip" in out
