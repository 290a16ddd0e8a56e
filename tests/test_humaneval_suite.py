"""The HumanEval suite script: N problems, results appended per episode, resume without duplicates."""

import json
import subprocess
import sys
from pathlib import Path

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
    first = suite(tmp_path, "--max", "2")
    assert first.returncode == 0, first.stderr
    assert "pass@1 = 0/2 = 0.000" in first.stdout
    again = suite(tmp_path, "--max", "2")
    assert again.returncode == 2 and "pass --resume" in again.stderr
    resumed = suite(tmp_path, "--max", "3", "--resume")
    assert resumed.returncode == 0 and "problem 2:" in resumed.stdout and "problem 0:" not in resumed.stdout
    rows = [json.loads(line) for line in (tmp_path / "he/humaneval_official.jsonl").read_text().splitlines()]
    assert [r["problem"] for r in rows] == [0, 1, 2]
    assert all(r["stop_reason"] == "final_answer" and r["passed"] is False for r in rows)
