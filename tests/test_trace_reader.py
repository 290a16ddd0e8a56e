import json

import pytest

from ctxbench.errors import HarnessError
from ctxbench.tracing.reader import load_episode


def write(path, events):
    path.write_text("".join(json.dumps({"v": 1, "seq": i, "ts": 0.0, **e}) + "\n" for i, e in enumerate(events)))


def test_reader_groups_events_and_tolerates_a_torn_last_line(tmp_path):
    path = tmp_path / "t.jsonl"
    call = {"type": "llm_call", "context": {"tokens_after": 120}, "reply": {"usage": {"prompt_tokens": 120}}}
    write(path, [{"type": "run_start"}, call, {"type": "exec"}, call])
    with open(path, "a") as f:
        f.write('{"v": 1, "type": "run_e')  # killed mid-write
    trace = load_episode(path)
    assert (len(trace.llm_calls), len(trace.execs), trace.finished) == (2, 1, False)
    assert trace.context_tokens_per_step() == [120, 120]


def test_reader_refuses_unknown_schema_and_non_traces(tmp_path):
    newer = tmp_path / "n.jsonl"
    newer.write_text(json.dumps({"v": 2, "type": "run_start"}) + "\n")
    with pytest.raises(HarnessError, match="schema"):
        load_episode(newer)
    other = tmp_path / "o.jsonl"
    other.write_text('{"hello": 1}\n')
    with pytest.raises(HarnessError, match="not an episode trace"):
        load_episode(other)
