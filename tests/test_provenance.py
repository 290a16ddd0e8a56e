"""Every run keeps what its result depends on beside the config, and a summary that compares runs
made differently says so."""

import json
import re

from ctxbench.provenance import differences
from ctxbench.runner import run_episode
from tests.conftest import needs_bwrap
from tests.test_episode_scripted import code, make_config


@needs_bwrap
def test_the_trace_and_the_result_carry_the_runs_provenance(tmp_path):
    replies = [code("print(1)"), "FINAL_ANSWER: nothing.csv"]
    result = run_episode(make_config(tmp_path, replies, budget={"max_steps": 2}))
    start = json.loads(result.trace_path.read_text().splitlines()[0])
    (result_file,) = (tmp_path / "results").glob("*/result.json")
    record = json.loads(result_file.read_text())
    origin = start["provenance"]
    assert origin == record["provenance"]
    assert re.fullmatch(r"[0-9a-f]{40}", origin["git_commit"]) and isinstance(origin["git_dirty"], bool)
    assert origin["packages"]["scanpy"] and origin["packages"]["anndata"] and origin["cpu"]
    assert origin["sandbox"] == "bubblewrap" and origin["threads"] >= 1 and origin["load_avg_1m"] >= 0
    assert origin["model_sha256"] is None  # the scripted stand-in has no model file


def test_differences_name_what_varies_but_never_the_load():
    same = {"git_commit": "a" * 40, "packages": {"scanpy": "1.11.5"}, "cpu": "X", "load_avg_1m": 0.5}
    assert differences([same, {**same, "load_avg_1m": 3.0}]) == {}
    other = {**same, "packages": {"scanpy": "1.12.0"}, "git_commit": "b" * 40}
    assert differences([same, other]) == {"git_commit": ["a" * 40, "b" * 40], "scanpy": ["1.11.5", "1.12.0"]}


def test_the_summary_warns_when_compared_episodes_were_made_differently(capsys):
    from ctxbench.cli import warn_about_provenance

    made = {"git_commit": "a" * 40, "git_dirty": False, "packages": {"scanpy": "1.11.5"}, "load_avg_1m": 1.0}
    warn_about_provenance([{"provenance": made}, {"provenance": {**made, "git_dirty": True}}, {"provenance": None}])
    out = capsys.readouterr().out
    assert "1 of 3 episodes carry no provenance" in out
    assert "warning: the episodes compared differ in git_dirty: False, True" in out and "load" not in out
