"""The study's write-up (scripts/study_report.py): the API cost of an episode with and without
cache reads, and the check that every episode of a study ran on one harness."""

import pytest

from tests.conftest import load_script


def test_cache_reads_bill_the_shared_prefix_at_the_discount_and_a_summarizer_whole():
    report = load_script("study_report")
    row = {"client_reused_tokens": 600_000,
           "totals": {"agent_prompt_tokens": 800_000, "agent_completion_tokens": 100_000,
                      "summarizer_prompt_tokens": 200_000, "summarizer_completion_tokens": 50_000}}  # fmt: skip
    plain, cached = report.priced(row, prompt_price=2.0, completion_price=8.0, discount=0.25)
    assert plain == pytest.approx(1.0 * 2.0 + 0.15 * 8.0)
    assert cached == pytest.approx(0.4 * 2.0 + 0.6 * 2.0 * 0.25 + 0.15 * 8.0)
    assert report.priced(row, 2.0, 8.0, discount=1.0)[1] == pytest.approx(plain)  # no discount: no saving


def row_at(commit: str, dirty: bool = False) -> dict:
    return {"provenance": {"git_commit": commit, "git_dirty": dirty, "load_avg_1m": 1.5}}


def test_one_harness_means_no_change_to_its_code_between_the_episodes_commits():
    report = load_script("study_report")
    # 416ce18 -> f9f38b9 committed only results; de4a54d changed context_policies (this repo's history)
    docs_only = [row_at("416ce18220c7158398b416abe39a862f3b8870e3"), row_at("f9f38b9")]
    assert "one harness;" in report.one_harness(docs_only)
    changed = [row_at("6a44761"), row_at("de4a54d")]
    assert "NOT one harness: 1 commits differ;" in report.one_harness(changed)
    assert "NOT one harness" in report.one_harness([row_at("f9f38b9", dirty=True)])


def episode(policy: str, repeat: int, seed: int, task: str = "ml_wine") -> dict:
    return {"task": task, "mode": "agentic", "model": "m", "prompt": "", "repeat": repeat, "seed": seed,
            "policy": policy}  # fmt: skip


def test_a_budget_axis_borrows_only_the_reference_episodes_twinned_with_its_own():
    report = load_script("study_report")
    axis = [episode("sliding_window[turns=1]", 0, 0), episode("sliding_window[turns=2]", 1, 1)]
    reference = [episode("full_history", 0, 0), episode("full_history", 1, 1),
                 episode("full_history", 2, 2),  # no twin: the axis has no repeat 2
                 episode("full_history", 1, 7),  # the same repeat at another seed is not a twin
                 episode("full_history", 0, 0, task="smoke_sum"),  # another task
                 episode("sliding_window", 0, 0)]  # fmt: skip
    borrowed = report.borrowed_references(axis, reference)
    assert borrowed == reference[:2]
