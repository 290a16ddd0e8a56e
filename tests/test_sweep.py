"""Sweeps with the scripted model: the grid, the layout, the table and plots, and a sweep killed
midway that resumes with nothing lost or duplicated."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ctxbench.errors import ConfigError
from tests.conftest import needs_bwrap

pytestmark = needs_bwrap
ROOT = Path(__file__).resolve().parent.parent
REFERENCE = (ROOT / "benchmarks/pbmc_annotation/reference.py").read_text()
PREDICT = "from sklearn.linear_model import LogisticRegression\ndef predict(train, test):\n" \
          "    m = LogisticRegression(max_iter=2000).fit(train.X, train.obs['bulk_labels'].astype(str))\n" \
          "    return m.predict(test.X)\n"  # fmt: skip


def sweep_files(tmp_path: Path, delay: float = 0.0, workers: int = 2) -> Path:
    """Every episode: one code block (reference + a predict function), then FINAL_ANSWER."""
    reply = f"```python\nimport time\ntime.sleep({delay})\n{REFERENCE}\n{PREDICT}```\nFINAL_ANSWER: predictions.csv"
    base = {"model": {"backend": "scripted", "scripted_replies": [reply, reply]}, "budget": {"max_steps": 2},
            "policy_presets": {"short": {"type": "sliding_window", "turns": 1}},
            "telemetry": {"traces_dir": str(tmp_path / "traces")}}  # fmt: skip
    (tmp_path / "base.json").write_text(json.dumps(base))
    sweep = {"experiment": "exp", "base_config": str(tmp_path / "base.json"), "policies": ["full_history", "short"],
             "modes": ["agentic", "controller"], "repeats": 2, "workers": workers,
             "results_dir": str(tmp_path / "results")}  # fmt: skip
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))
    return tmp_path / "sweep.json"


def run_bench(*args: str, cwd: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "run_bench.py"), *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)  # fmt: skip


def test_sweep_runs_the_grid_and_writes_table_and_plots(tmp_path):
    process = run_bench("--sweep", str(sweep_files(tmp_path)), cwd=tmp_path)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    experiment = tmp_path / "results/exp"
    episodes = sorted(experiment.glob("*/*/*/result.json"))
    assert len(episodes) == 8
    for result in episodes:
        folder = result.parent
        assert {"trace.jsonl", "messages.json", "work", "result.json"} <= {p.name for p in folder.iterdir()}
    cells = sorted(p.name for p in (experiment / "pbmc_annotation").iterdir())
    model = "qwen2.5-coder-0.5b-instruct-q4_k_m"
    assert cells == sorted(f"{p}__{m}__{model}" for p in ("full_history", "short") for m in ("agentic", "controller"))
    rows = list(csv.DictReader((experiment / "summary.csv").read_text().splitlines()))
    assert len(rows) == 4 and all(r["n"] == "2" and float(r["score"]) > 0.8 for r in rows)
    short = [r for r in rows if r["policy"] == "short"]
    assert all(r["delta_vs_full_history"] not in ("", None) and r["pairs"] == "2" for r in short)
    assert (experiment / "paired.md").read_text().startswith("| policy | mode")
    assert (experiment / "summary.md").read_text().startswith("| task | policy | mode")
    for figure in ("iteration_score", "score_vs_tokens", "context_tokens", "prompt_cache"):
        assert (tmp_path / "figs" / f"exp_{figure}.png").read_bytes()[:4] == b"\x89PNG"
    assert "results: mean [95% CI] over n scored episodes" in out and "pairs pooled over tasks" in out
    episodes = list(csv.DictReader((experiment / "episodes.csv").read_text().splitlines()))
    assert len(episodes) == 8 and all(e["totals.cells"] and e["trace"].endswith("trace.jsonl") for e in episodes)
    steps = list(csv.DictReader((experiment / "steps.csv").read_text().splitlines()))
    assert len(steps) == sum(int(e["totals.steps"]) for e in episodes)
    agentic = [s for s in steps if s["mode"] == "agentic"]
    assert agentic and all(s["outcome"] == "cell:ok answer:taken" for s in agentic)
    assert all(int(s["context_tokens_after"]) > 0 for s in agentic)


def test_a_killed_sweep_resumes_without_loss_or_duplicates(tmp_path):
    sweep = sweep_files(tmp_path, delay=1.5, workers=1)
    experiment = tmp_path / "results/exp"
    process = run_bench("--sweep", str(sweep), cwd=tmp_path, start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list(experiment.glob("*/*/*/result.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # no cleanup of any kind
    process.wait()
    before = {p: p.stat().st_mtime_ns for p in experiment.glob("*/*/*/result.json")}
    assert 3 <= len(before) < 8
    again = run_bench("--sweep", str(sweep), cwd=tmp_path)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 2 and "--resume" in err  # never silently reruns finished work
    resumed = run_bench("--sweep", str(sweep), "--resume", cwd=tmp_path)
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    after = list(experiment.glob("*/*/*/result.json"))
    assert len(after) == 8
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in before.items())  # finished ones not rerun
    for result in after:
        assert len(list(result.parent.glob("*.jsonl"))) == 1
        assert not list(result.parent.glob("*.partial"))


def test_bad_sweep_file_is_one_clear_line(tmp_path):
    (tmp_path / "bad.json").write_text(
        json.dumps({"experiment": "x", "policies": ["nope"], "base_config": "nope.json"})
    )
    process = run_bench("--sweep", str(tmp_path / "bad.json"), cwd=tmp_path)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2 and "config file not found: nope.json" in err and "Traceback" not in err


def test_episodes_run_repeat_by_repeat_so_a_stopped_sweep_keeps_its_pairs(tmp_path):
    from ctxbench.sweep import SweepConfig, expand

    sweep = SweepConfig.model_validate(json.loads(sweep_files(tmp_path).read_text()))
    order = [(j.cell["repeat"], j.cell["policy"], j.cell["mode"]) for j in expand(sweep)]
    assert [repeat for repeat, _, _ in order] == [0, 0, 0, 0, 1, 1, 1, 1]
    first_half = {(policy, mode) for repeat, policy, mode in order[:4]}
    assert first_half == {(p, m) for p in ("full_history", "short") for m in ("agentic", "controller")}


def test_repeat_runs_one_episode_n_times_into_the_sweep_layout_and_resumes(tmp_path):
    reply = f"```python\n{REFERENCE}\n```\nFINAL_ANSWER: predictions.csv"
    base = {"model": {"backend": "scripted", "scripted_replies": [reply]}, "budget": {"max_steps": 2},
            "telemetry": {"traces_dir": str(tmp_path / "traces"), "phoenix": {"enabled": False}},
            "out": str(tmp_path / "results")}  # fmt: skip
    (tmp_path / "base.json").write_text(json.dumps(base))
    flags = ["--config", str(tmp_path / "base.json"), "--policy-type", "sliding_window", "--policy-param", "turns=3",
             "--seed", "5", "--repeat", "3"]  # fmt: skip
    process = run_bench(*flags, cwd=tmp_path)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    model = "qwen2.5-coder-0.5b-instruct-q4_k_m"
    experiment = tmp_path / "results" / f"pbmc_annotation_sliding_window_agentic_{model}"
    cell = experiment / "pbmc_annotation" / f"sliding_window__agentic__{model}"
    results = [json.loads((cell / str(i) / "result.json").read_text()) for i in range(3)]
    assert [r["seed"] for r in results] == [5, 6, 7] and all(r["score"]["passed"] for r in results)
    assert all((cell / str(i) / "sandbox_stderr.log").exists() for i in range(3))  # each run's console log
    run_start = json.loads((cell / "0" / "trace.jsonl").read_text().splitlines()[0])
    policy = run_start["config"]["policy"]
    assert (policy["type"], policy["turns"]) == ("sliding_window", 3)  # the flags' policy, as given
    assert "results: mean [95% CI] over n scored episodes" in out
    again = run_bench(*flags, cwd=tmp_path)
    assert again.wait(timeout=300) == 2  # never silently reruns finished work
    resumed = run_bench(*flags, "--resume", cwd=tmp_path)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err


def test_each_episode_keeps_its_slice_of_the_shared_model_servers_console_log(tmp_path):
    from ctxbench.executors.jobs import keep_log_slices, log_sizes

    log, episode = tmp_path / "llama_server_0.log", tmp_path / "episode"
    episode.mkdir()
    log.write_text("server start\nepisode 0 lines\n")
    since = log_sizes([log, tmp_path / "not_started.log"])
    with open(log, "a") as f:
        f.write("episode 1 request\nepisode 1 done\n")
    keep_log_slices([log, tmp_path / "not_started.log"], since, episode)
    assert (episode / "llama_server_0.log").read_text() == "episode 1 request\nepisode 1 done\n"
    assert not (episode / "not_started.log").exists()


def test_a_policy_parameter_axis_is_one_cell_per_value_with_its_plot(tmp_path):
    reply = f"```python\n{REFERENCE}\n```\nFINAL_ANSWER: predictions.csv"
    base = {"model": {"backend": "scripted", "scripted_replies": [reply]}, "budget": {"max_steps": 2},
            "telemetry": {"traces_dir": str(tmp_path / "traces")}}  # fmt: skip
    (tmp_path / "base.json").write_text(json.dumps(base))
    sweep = {"experiment": "axis", "base_config": str(tmp_path / "base.json"), "repeats": 2,
             "policies": ["full_history", {"type": "sliding_window", "turns": [1, 3]}],
             "results_dir": str(tmp_path / "results")}  # fmt: skip
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))
    process = run_bench("--sweep", str(tmp_path / "sweep.json"), cwd=tmp_path)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    rows = list(csv.DictReader((tmp_path / "results/axis/summary.csv").read_text().splitlines()))
    assert sorted(r["policy"] for r in rows) == ["full_history", "sliding_window[turns=1]", "sliding_window[turns=3]"]
    assert all(r["pairs"] == "2" for r in rows if r["policy"] != "full_history")  # paired with full_history
    starts = [json.loads(p.read_text().splitlines()[0]) for p in (tmp_path / "results/axis").glob("*/*/*/trace.jsonl")]
    assert sorted(s["config"]["policy"].get("turns", 0) for s in starts) == [0, 0, 1, 1, 3, 3]
    assert (tmp_path / "figs/axis_sliding_window_turns_agentic.png").read_bytes()[:4] == b"\x89PNG"
    episodes = list(csv.DictReader((tmp_path / "results/axis/episodes.csv").read_text().splitlines()))
    assert sorted(e["policy"] for e in episodes).count("sliding_window[turns=3]") == 2 and len(episodes) == 6
    assert (tmp_path / "results/axis/steps.csv").read_text().count("\n") == 1 + len(episodes)  # one call each


def test_policy_cells_read_axes_but_not_a_pipelines_stages():
    from ctxbench.sweep import policy_cells

    stages = [{"type": "observation_masking", "keep_last": 1}]
    cells = policy_cells([{"type": "pipeline", "stages": stages, "context_tokens": [1000, 2000]}, "short"],
                         {"short": {"type": "sliding_window", "turns": 1}})  # fmt: skip
    assert cells == [("pipeline[context_tokens=1000]", {"type": "pipeline", "stages": stages, "context_tokens": 1000}),
                     ("pipeline[context_tokens=2000]", {"type": "pipeline", "stages": stages, "context_tokens": 2000}),
                     ("short", {"type": "sliding_window", "turns": 1})]  # fmt: skip
    with pytest.raises(ConfigError, match="more than once"):
        policy_cells([{"type": "sliding_window", "turns": [2, 2]}], {})
