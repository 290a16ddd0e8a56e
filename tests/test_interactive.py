"""`run_bench.py --interactive` driven in a pseudo-terminal through one episode: each question is
answered as a person would, the conversation is shown as it happens, and the equivalent command
is printed and does the same without questions."""

import json
import shlex
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import needs_bwrap

pytestmark = needs_bwrap
ROOT = Path(__file__).resolve().parent.parent
REPLIES = ["Let me look.\n```python\nprint(sum(int(x) for x in open('/data/numbers.txt').read().split()))\n```",
           "FINAL_ANSWER: 12345"]  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Path:
    raw = {"model": {"backend": "scripted", "scripted_replies": REPLIES}, "budget": {"max_steps": 3},
           "telemetry": {"traces_dir": str(tmp_path / "traces"), "phoenix": {"enabled": False}},
           "out": str(tmp_path / "results")}  # fmt: skip
    (tmp_path / "config.json").write_text(json.dumps(raw))
    (tmp_path / "prompt.txt").write_text("Be brief.")
    return tmp_path / "config.json"


def test_interactive_choices_run_one_watched_episode_and_print_the_same_command(config, tmp_path):
    child = pexpect.spawn(sys.executable, [str(ROOT / "run_bench.py"), "--interactive", "--config", str(config)],
                          cwd=str(tmp_path), encoding="utf-8", timeout=120, dimensions=(50, 200))  # fmt: skip
    answers = [("Task", "smoke_sum"), ("Extra prompt", "file"), ("Prompt file", "prompt.txt"),
               ("Context policy", "sliding_window"), ("Reasoning mode", "agentic"), ("Model", ""),
               ("Attempts", "1")]  # fmt: skip
    for question, answer in answers:
        child.expect(question)
        child.sendline(answer)
    child.expect("The same without questions:")
    child.expect(r"python run_bench.py (.+?)\r\n")
    flags = shlex.split(child.match.group(1))
    child.expect("step 1 · model")  # the conversation, as it happens
    child.expect("── python: ok")
    child.expect("── answer")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert flags[flags.index("--task") + 1] == "smoke_sum" and flags[flags.index("--prompt") + 1] == "prompt.txt"
    assert flags[flags.index("--policy-type") + 1] == "sliding_window" and "--watch" in flags
    (trace,) = (tmp_path / "traces").glob("*.jsonl")
    start = json.loads(trace.read_text().splitlines()[0])
    assert (start["task"], start["policy"], start["prompt"]) == ("smoke_sum", "sliding_window", "prompt")
    assert start["config"]["prompt_prefix"] == "Be brief."
