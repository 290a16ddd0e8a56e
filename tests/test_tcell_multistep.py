"""tcell_multistep: its later fields need what was found first (a stand-in model that knows only
what its context shows scores higher with the full history than with a window of 2 turns), its
tolerance tells the known slips from the truth, and the agent's copy keeps only what the prompt names."""

import anndata
import pytest

from benchmarks.tcell_multistep.task import (
    FRACTIONS,
    KEPT_OBS,
    TOLERANCE,
    TREGS,
    Answers,
    TcellMultistep,
    TcellMultistepConfig,
    answers_for,
    cd8_fraction,
)  # fmt: skip
from benchmarks.wheel_data import wheel_dataset
from ctxbench.runner import run_episode
from tests.conftest import needs_bwrap
from tests.test_episode_scripted import code, make_config


@pytest.fixture(scope="module")
def task_and_copy(tmp_path_factory):
    task = TcellMultistep(TcellMultistepConfig(), seed=0)
    prepared = task.prepare(tmp_path_factory.mktemp("wu") / "task")
    return task, anndata.read_h5ad(prepared.data_dir / "wu2020_tcells.h5ad")


def test_the_agents_copy_keeps_only_what_the_prompt_names(task_and_copy):
    _, copy = task_and_copy
    original = anndata.read_h5ad(wheel_dataset("wu2020"))
    assert list(copy.obs.columns) == KEPT_OBS and len(original.obs.columns) > 40  # TCR calls, sample, batch...
    assert not copy.obsm and not copy.uns and copy.shape == original.shape == (200, 30727)
    assert (copy.obs_names == original.obs_names).all()


def test_each_known_slip_misses_its_fields_by_more_than_the_tolerance(task_and_copy):
    task, copy = task_and_copy
    truth = answers_for(copy.obs)
    assert task.grade(truth).value == 1.0
    obs = copy.obs.astype(str)
    mine = obs[obs["patient"] == truth.patient]
    tumor, nat = mine[mine["source"] == "Tumor"], mine[mine["source"] == "NAT"]
    slips = {  # field -> what a common slip gives
        "cd8_fraction_tumor": tumor["cluster_orig"].str.startswith("8.").mean(),  # 3.1-MT in the denominator
        "cd8_fraction_nat": nat["cluster_orig"].str.startswith("8.").mean(),
        "treg_fraction_tumor": (obs[obs["source"] == "Tumor"]["cluster_orig"] == TREGS[0]).mean(),  # one Treg type
        "treg_fraction_nat": (obs[obs["source"] == "NAT"]["cluster_orig"] == TREGS[0]).mean(),
    }
    for field, value in slips.items():
        assert abs(value - getattr(truth, field)) > 2 * TOLERANCE, field
        assert task.grade(truth.model_copy(update={field: float(value)})).value == pytest.approx(7 / 8), field
    assert cd8_fraction(mine) != truth.cd8_fraction_tumor  # tissues pooled: another number again
    assert {f for f in Answers.model_fields if "fraction" in f} == FRACTIONS


# The stand-in: each step prints one fact; the last writes every fact it can still see in its
# context (`{NAME}` is filled from the messages it was shown, `?` when they no longer hold it).
LOAD = "import anndata\nobs = anndata.read_h5ad('/data/wu2020_tcells.h5ad').obs.astype(str)\n"
STEPS = [
    LOAD + "t = obs[obs.source == 'Tumor'].patient.value_counts()\n"
    "print('PATIENT=' + t.index[0], 'TUMOR_CELLS=%d' % t.iloc[0])",
    "m = obs[(obs.patient == '{PATIENT}') & (obs.source == 'Tumor')].cluster_orig\nl = m.str[:2][m.str[:2] != '3.']\n"
    "print('CD8_T=%.4f' % (l == '8.').mean(), 'TOP=' + m.value_counts().index[0])",
    "m = obs[(obs.patient == '{PATIENT}') & (obs.source == 'NAT')].cluster_orig.str[:2]\nl = m[m != '3.']\n"
    "print('CD8_N=%.4f' % (l == '8.').mean())",
    *[f"print('TREG_{s}=%.4f' % obs[obs.source == '{s}'].cluster_orig.isin(['4.6a-Treg', '4.6b-Treg']).mean())"
      for s in ("Tumor", "NAT", "Blood")],
]  # fmt: skip
FACTS = {"PATIENT": r"PATIENT=(\w+)", "TUMOR_CELLS": r"TUMOR_CELLS=(\d+)", "CD8_T": r"CD8_T=([\d.]+)",
         "TOP": r"TOP=([\w.-]+)", "CD8_N": r"CD8_N=([\d.]+)", "TREG_T": r"TREG_Tumor=([\d.]+)",
         "TREG_N": r"TREG_NAT=([\d.]+)", "TREG_B": r"TREG_Blood=([\d.]+)"}  # fmt: skip
WRITE = """import json
def number(text):
    return float(text) if text != "?" else -1.0
json.dump({"patient": "{PATIENT}", "tumor_cells": int(number("{TUMOR_CELLS}")),
           "cd8_fraction_tumor": number("{CD8_T}"), "cd8_fraction_nat": number("{CD8_N}"),
           "top_subtype_tumor": "{TOP}", "treg_fraction_tumor": number("{TREG_T}"),
           "treg_fraction_nat": number("{TREG_N}"), "treg_fraction_blood": number("{TREG_B}")},
          open("/work/answers.json", "w"))
"""  # fmt: skip


@needs_bwrap
def test_later_fields_need_early_facts_full_history_beats_a_window_of_two_turns(tmp_path):
    replies = [{"text": code(step), "recall": FACTS} for step in STEPS]
    replies.append({"text": code(WRITE) + "\nFINAL_ANSWER: answers.json", "recall": FACTS})
    scores = {}
    for name, policy in (("full", {"type": "full_history"}), ("window", {"type": "sliding_window", "turns": 2})):
        config = make_config(tmp_path / name, replies, task={"name": "tcell_multistep"}, policy=policy,
                             budget={"max_steps": len(replies)})  # fmt: skip
        result = run_episode(config)
        assert result.stop_reason == "final_answer", result
        scores[name] = result.score
    assert scores["full"].value == 1.0
    # The window kept the last two steps (Treg shares in NAT and blood); the patient, found first, was gone.
    assert scores["window"].metrics["patient"] == 0.0 and scores["window"].metrics["treg_fraction_blood"] == 1.0
    assert scores["window"].value <= 3 / 8


RIGHT = {"patient": "Lung2", "tumor_cells": 18, "cd8_fraction_tumor": 0.7333, "cd8_fraction_nat": 0.4615,
         "top_subtype_tumor": "8.3a-Trm", "treg_fraction_tumor": 0.1053, "treg_fraction_nat": 0.0471,
         "treg_fraction_blood": 0.0}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "score"),
    [
        ({}, 1.0),
        ({"patient": " lung2 "}, 1.0),  # names compared as names
        ({"cd8_fraction_tumor": float("nan"), "cd8_fraction_nat": float("inf")}, 6 / 8),  # no number passes
        ({"tumor_cells": 18.5}, None),  # not an integer
        ({"top_subtype_tumor": ["8.3a-Trm", "4.4-FOS"]}, None),  # hedging with a list
        ({"extra": 1, "patient": "Lung2"}, 1.0),  # unknown keys are ignored, never read
    ],
)
def test_hostile_or_malformed_answers_are_refused_or_scored_as_given(task_and_copy, tmp_path, change, score):
    import json

    from benchmarks.base import AnswerError

    task, _ = task_and_copy
    text = json.dumps({**RIGHT, **change})
    if score is None:
        with pytest.raises(AnswerError):
            task.parse_answer(text, tmp_path)
    else:
        assert task.grade(task.parse_answer(text, tmp_path)).value == pytest.approx(score)
    with pytest.raises(AnswerError):
        task.parse_answer("../task/data/wu2020_tcells.h5ad", tmp_path)


def test_a_partial_answer_earns_its_fields_and_an_empty_one_is_sent_back(task_and_copy, tmp_path):
    import json

    from benchmarks.base import AnswerError

    task, _ = task_and_copy
    assert task.parse_answer(json.dumps(RIGHT), tmp_path) == Answers(**RIGHT)  # one model for truth and answer
    first_three = {key: RIGHT[key] for key in ("patient", "tumor_cells", "cd8_fraction_tumor")}
    assert task.grade(task.parse_answer(json.dumps(first_three), tmp_path)).value == pytest.approx(3 / 8)
    with pytest.raises(AnswerError, match="none of the keys"):
        task.parse_answer(json.dumps({"Patient": "Lung2"}), tmp_path)
