"""Behaviour a refactor must keep: a scripted sweep's summary and the replay counts of a recorded
trace are the same as the files in tests/golden/ (made by tests/golden/make_golden.py --write)."""

from tests.conftest import needs_bwrap
from tests.golden import make_golden as golden

pytestmark = needs_bwrap


def test_a_scripted_sweep_summarizes_as_recorded(tmp_path):
    assert golden.sweep_summary(tmp_path) == golden.SUMMARY.read_text()


def test_replay_counts_every_non_llm_policy_as_recorded():
    assert golden.replay_counts() == golden.REPLAY.read_text()
