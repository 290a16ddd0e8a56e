"""The agentic loop end to end (real task, real sandbox), with a scripted model replaying replies."""

import itertools
import json
from pathlib import Path

import pytest

from benchmarks.pbmc_annotation.task import PbmcAnnotation
from ctxbench.config import validate_config
from ctxbench.errors import HarnessError
from ctxbench.runner import run_episode
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap

pytestmark = needs_bwrap

REFERENCE = PbmcAnnotation.folder.joinpath("reference.py").read_text()


def code(source: str) -> str:
    return f"Let me run this.\n```python\n{source}\n```"


def make_config(tmp_path: Path, replies: list[str], **overrides):
    raw = {
        "model": {"backend": "scripted", "scripted_replies": replies},
        "telemetry": {"traces_dir": str(tmp_path / "traces")},
        "out": str(tmp_path / "results"),
        "budget": {"max_steps": 6},
        **overrides,
    }
    return validate_config(raw, "test")


def test_full_episode_recovers_from_malformed_and_invalid_replies(tmp_path):
    replies = [
        "I think I should load the data first.",  # no code, no answer
        code("import anndata\nadata = anndata.read_h5ad('/data/pbmc68k_heldout.h5ad')\nprint(adata.n_obs)"),
        code("adata.n_vars"),  # the session kept `adata`
        code("1/0"),
        "FINAL_ANSWER: predictions.csv",  # not written yet: invalid, fed back
        code(REFERENCE) + "\nFINAL_ANSWER: predictions.csv",
    ]
    result = run_episode(make_config(tmp_path, replies))

    assert result.stop_reason == "final_answer"
    assert result.score.passed and result.score.value >= 0.8
    t = result.totals
    assert (t.steps, t.cells, t.failed_cells, t.format_errors, t.invalid_answers) == (6, 4, 1, 1, 1)

    events = read_trace(result.trace_path)
    types = [e["type"] for e in events]
    assert types[0] == "run_start" and types[-2:] == ["score", "run_end"]
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert all(e["v"] == 1 for e in events)
    assert events[0]["config"]["model"]["backend"] == "scripted"
    execs = [e for e in events if e["type"] == "exec"]
    assert execs[0]["stdout"].strip() == "700" and execs[1]["stdout"].strip() == "765"
    assert execs[2]["outcome"] == "error" and "ZeroDivisionError" in execs[2]["error"]
    assert [e["valid"] for e in events if e["type"] == "final_answer"] == [False, True]
    calls = [e for e in events if e["type"] == "llm_call"]
    assert calls[0]["messages"][0]["role"] == "system" and "FINAL_ANSWER" in calls[0]["messages"][0]["content"]
    assert "pbmc68k_heldout.h5ad" in calls[0]["messages"][1]["content"]
    # full history: each call sees everything the previous one saw, plus its reply and what followed
    assert all(len(b["messages"]) > len(a["messages"]) for a, b in itertools.pairwise(calls))
    assert "no ```python code block" in calls[1]["messages"][-1]["content"]
    assert events[-1]["totals"]["steps"] == 6

    result_json = json.loads((Path(result.meta["episode_dir"]) / "result.json").read_text())
    assert result_json["score"]["value"] == result.score.value


def test_step_budget_ends_the_episode_with_a_zero_score(tmp_path):
    result = run_episode(make_config(tmp_path, [code("print(1)")] * 3, budget={"max_steps": 3}))
    assert result.stop_reason == "max_steps"
    assert result.totals.steps == 3
    assert result.score.value == 0.0
    assert read_trace(result.trace_path)[-1]["stop_reason"] == "max_steps"


def test_token_budget_ends_the_episode(tmp_path):
    result = run_episode(make_config(tmp_path, [code("print(1)")] * 5, budget={"episode_tokens": 50}))
    assert result.stop_reason == "episode_tokens"
    assert result.totals.steps < 5


def test_a_harness_failure_is_recorded_and_not_scored(tmp_path):
    result = run_episode(make_config(tmp_path, [code("x = 1")]))  # runs out of replies at step 2
    assert (result.stop_reason, result.score) == ("harness_error", None)
    assert "ran out of replies" in result.error
    end = read_trace(result.trace_path)[-1]
    assert (end["error"], end["scored"]) == (result.error, False)
    assert json.loads((Path(result.meta["episode_dir"]) / "result.json").read_text())["harness_failure"] is True


@pytest.mark.parametrize("failure", ["llm_error", "server_crashed"])
def test_each_infrastructure_failure_has_its_own_stop_reason(tmp_path, failure):
    # The reference answer is in the sandbox before the failure: still not scored, not even as a pass.
    result = run_episode(make_config(tmp_path, [code(REFERENCE), {"fail": failure}]))
    assert (result.stop_reason, result.score) == (failure, None)
    types = [e["type"] for e in read_trace(result.trace_path)]
    assert "score" not in types and types[-1] == "run_end"


@pytest.mark.parametrize("autosubmit", [False, True])
def test_a_context_that_outgrew_the_window_is_the_policys_spent_budget_and_scored(tmp_path, autosubmit):
    """Not the harness's failure: dropping it would keep the long runs out of the policies that let
    the context grow. Scored as running out of steps is: what was submitted, or left (autosubmit)."""
    replies = [code(REFERENCE), {"fail": "context_overflow"}]
    result = run_episode(make_config(tmp_path, replies, scaffold={"autosubmit": autosubmit}))
    assert result.stop_reason == "context_overflow" and result.score is not None
    assert result.score.passed is autosubmit  # the reference's file was left, never submitted by the agent
    assert "scripted failure: context_overflow" in result.error
    end = read_trace(result.trace_path)[-1]
    assert (end["stop_reason"], end["scored"]) == ("context_overflow", True)
    record = json.loads((Path(result.meta["episode_dir"]) / "result.json").read_text())
    assert record["harness_failure"] is False and record["score"] is not None


def test_an_opening_that_never_fit_the_window_is_the_configurations_and_not_scored(tmp_path):
    result = run_episode(make_config(tmp_path, [{"fail": "context_overflow"}], scaffold={"autosubmit": True}))
    assert (result.stop_reason, result.score) == ("opening_overflow", None)
    assert "raise model.n_ctx" in result.error


def test_a_summary_call_that_overflows_ends_the_episode_as_the_policys_overflow(tmp_path):
    policy = {"type": "summarization", "keep_last": 1, "trigger_tokens": 1}
    replies = [code("print(1)"), code("print(2)"), {"fail": "context_overflow"}]
    result = run_episode(make_config(tmp_path, replies, policy=policy))
    assert result.stop_reason == "context_overflow" and result.score is not None and not result.score.passed
    assert result.error.startswith("summarizer call: scripted failure")


def test_a_failed_summarizer_call_stops_the_episode_unscored_and_says_so(tmp_path):
    policy = {"type": "summarization", "keep_last": 1, "trigger_tokens": 1}
    result = run_episode(make_config(tmp_path, [code("print(1)"), code("print(2)"), {"fail": "llm_error"}],
                                     policy=policy))  # fmt: skip
    assert (result.stop_reason, result.score) == ("llm_error", None)
    assert result.error.startswith("summarizer call: scripted failure")


def test_summarizer_tokens_are_charged_apart_and_count_against_the_budget(tmp_path):
    policy = {"type": "summarization", "keep_last": 1, "trigger_tokens": 1}
    replies = [code("print(1)"), code("print(2)"), "the summary " * 10, code("print(3)"), code("print(4)")]
    result = run_episode(make_config(tmp_path, replies, policy=policy, budget={"max_steps": 3}))
    t = result.totals
    assert (t.steps, t.summarizer_calls) == (3, 1)
    assert t.summarizer_completion_tokens == 20 and t.summarizer_prompt_tokens > 0  # the scripted backend counts words
    assert t.all_tokens == t.agent_prompt_tokens + t.agent_completion_tokens + t.summarizer_tokens
    (call,) = [e for e in read_trace(result.trace_path) if e["type"] == "summarizer_call"]
    assert call["reply"]["usage"]["completion_tokens"] == 20
    budget = t.agent_prompt_tokens + t.agent_completion_tokens + 1  # the agent's 3 steps alone stay under it
    capped = run_episode(make_config(tmp_path / "capped", replies, policy=policy,
                                     budget={"max_steps": 4, "episode_tokens": budget}))  # fmt: skip
    assert (capped.stop_reason, capped.totals.steps) == ("episode_tokens", 3)


def test_a_bug_in_the_harness_is_not_the_agents_zero(tmp_path, monkeypatch):
    from ctxbench.sandbox.bubblewrap import BubblewrapSandbox

    def broken(self, code, timeout_s=None):
        raise RuntimeError("the sandbox wrapper has a bug")

    monkeypatch.setattr(BubblewrapSandbox, "run_cell", broken)
    result = run_episode(make_config(tmp_path, [code("print(1)")]))
    assert (result.stop_reason, result.score) == ("harness_error", None)
    assert result.error == "RuntimeError: the sandbox wrapper has a bug"
    (event,) = [e for e in read_trace(result.trace_path) if e["type"] == "harness_error"]
    assert "Traceback" in event["traceback"] and "broken" in event["traceback"]


def test_missing_dataset_is_a_clear_error(tmp_path):
    config = make_config(tmp_path, [], task={"name": "pbmc_annotation", "source_h5ad": str(tmp_path / "nope.h5ad")})
    with pytest.raises(HarnessError, match="dataset not found"):
        run_episode(config)


def test_secrets_never_reach_the_trace(tmp_path, monkeypatch):
    secret = "sk-test-very-secret-value-123"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    result = run_episode(
        make_config(tmp_path, [code("print('sk-test-very-secret-value-123')")], budget={"max_steps": 1})
    )
    text = result.trace_path.read_text()
    assert secret not in text
    assert "[REDACTED]" in text


def test_episodes_never_overwrite_each_other(tmp_path):
    first = run_episode(make_config(tmp_path, [code("print(1)")], budget={"max_steps": 1}))
    second = run_episode(make_config(tmp_path, [code("print(2)")], budget={"max_steps": 1}))
    assert first.trace_path != second.trace_path
    assert first.meta["episode_dir"] != second.meta["episode_dir"]
    assert read_trace(first.trace_path)[-1]["type"] == "run_end"


def test_summarizer_tokens_are_counted_apart_and_traced(tmp_path):
    long_output = "print('" + "row " * 150 + "')"
    # The summarizer shares the scripted model: its replies are interleaved where the policy calls it.
    replies = [code(long_output), code(long_output), "first summary", code(long_output), "second summary", code("4")]
    policy = {"type": "summarization", "keep_last": 1, "trigger_tokens": 50, "summary_reply_tokens": 64}
    result = run_episode(make_config(tmp_path, replies, policy=policy, budget={"max_steps": 4}))
    t = result.totals
    assert (t.steps, t.summarizer_calls) == (4, 2)
    assert t.summarizer_prompt_tokens > 0 and t.summarizer_completion_tokens == 4
    assert t.all_tokens == t.agent_prompt_tokens + t.agent_completion_tokens + t.summarizer_prompt_tokens + 4
    events = read_trace(result.trace_path)
    first, second = [e for e in events if e["type"] == "summarizer_call"]
    assert "row row" in first["messages"][-1]["content"]
    assert "Current summary:\nfirst summary" in second["messages"][-1]["content"]
    last_call = [e for e in events if e["type"] == "llm_call"][-1]
    assert last_call["context"]["policy"] == "summarization"
    assert last_call["context"]["tokens_after"] < last_call["context"]["tokens_before"]
    assert any(m["content"].startswith("Summary of steps so far:\nsecond summary") for m in last_call["messages"])
    assert events[-1]["totals"]["summarizer_calls"] == 2


def test_run_bash_is_offered_on_request_and_its_commands_share_the_session_and_the_accounting(tmp_path):
    replies = [
        "```bash\nhead -c 60 /data/pbmc68k_heldout.h5ad | wc -c; ls /data\n```",
        "ACTION: run_bash python -c 'import anndata' && echo imports",
        code(REFERENCE),
        "```sh\nwc -l < predictions.csv\n```\nFINAL_ANSWER: predictions.csv",
    ]
    tools = ["run_python", "run_bash", "final_answer"]
    result = run_episode(make_config(tmp_path, replies, tools=tools))
    assert result.stop_reason == "final_answer" and result.score.passed
    assert (result.totals.cells, result.totals.failed_cells) == (4, 0)
    execs = [e for e in read_trace(result.trace_path) if e["type"] == "exec"]
    assert [e.get("shell", False) for e in execs] == [True, True, False, True]
    assert execs[0]["code"].startswith("head -c 60")  # the command itself is traced, not the cell around it
    assert execs[0]["stdout"] == "60\nbaseline.py\npbmc68k_heldout.h5ad\n[exit status 0]\n"
    assert execs[1]["stdout"] == "imports\n[exit status 0]\n"
    assert execs[3]["stdout"] == "141\n[exit status 0]\n"  # the header and 140 held-out cells, in /work
    default = make_config(tmp_path / "default", ["```bash\nls\n```"], budget={"max_steps": 1})
    assert "run_bash" not in default.tools  # off unless asked for: a bash block is then no action
