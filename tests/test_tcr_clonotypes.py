"""tcr_clonotypes: the grading is calibrated (every sound way of grouping cells reaches the truth,
each known-wrong way misses a field), and the agent's copy of the contigs carries no clonotype id."""

import pandas as pd
import pytest

from benchmarks.tcr_clonotypes.task import HIDDEN, Clonotypes, TcrClonotypes, TcrClonotypesConfig, is_productive
from benchmarks.wheel_data import wheel_dataset


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    task = TcrClonotypes(TcrClonotypesConfig(), seed=0)
    prepared = task.prepare(tmp_path_factory.mktemp("tcr") / "task")
    return task, pd.read_csv(prepared.data_dir / "tcr_contigs.csv")


def grouping(contigs: pd.DataFrame, columns=("chain", "cdr3"), productive_only=True, chain=None) -> Clonotypes:
    """One way of calling clonotypes: cells keyed by the sorted rows of `columns` over their
    (productive, one chain's) contigs; the largest group's CDR3s are its cells' productive ones."""
    rows = contigs[is_productive(contigs)] if productive_only else contigs
    rows = rows if chain is None else rows[rows["chain"] == chain]
    keys = rows.groupby("barcode")[list(columns)].apply(lambda g: tuple(sorted(map(tuple, g.fillna("").values))))
    sizes = keys.value_counts()
    cells = keys.index[keys == sizes.index[0]]
    cdr3s = contigs[contigs["barcode"].isin(cells) & is_productive(contigs)]["cdr3"]
    return Clonotypes(n_clonotypes=sizes.size, largest_size=int(sizes.iloc[0]), largest_cdr3s=sorted(set(cdr3s)))


SOUND = {
    "productive (chain, cdr3) pairs": {},
    "productive (chain, cdr3_nt) pairs": {"columns": ("chain", "cdr3_nt")},
    "productive cdr3s, chain ignored": {"columns": ("cdr3",)},
}
WRONG = {
    "beta chain only (the baseline)": {"chain": "TRB"},
    "alpha chain only": {"chain": "TRA"},
    "every contig, productive or not": {"productive_only": False},
    "V genes instead of CDR3s": {"columns": ("chain", "v_gene")},
}


@pytest.mark.parametrize("name", SOUND)
def test_every_sound_grouping_reaches_the_truth(prepared, name):
    task, contigs = prepared
    assert task.grade(grouping(contigs, **SOUND[name])).value == 1.0


@pytest.mark.parametrize("name", WRONG)
def test_each_known_wrong_grouping_misses_a_field(prepared, name):
    task, contigs = prepared
    assert task.grade(grouping(contigs, **WRONG[name])).value < 1.0


def test_partial_credit_is_the_share_of_fields_right(prepared):
    task, contigs = prepared
    right = grouping(contigs)
    one_off = right.model_copy(update={"n_clonotypes": right.n_clonotypes + 1})
    assert task.grade(one_off).value == pytest.approx(2 / 3)
    reordered = right.model_copy(update={"largest_cdr3s": right.largest_cdr3s[::-1]})
    assert task.grade(reordered).value == 1.0  # CDR3s are a set
    assert task.grade(None).value == 0.0


def test_the_agents_copy_carries_no_clonotype_id(prepared):
    _, contigs = prepared
    original = pd.read_csv(wheel_dataset("pbmc3_tcr_contigs"))
    assert set(HIDDEN) <= set(original.columns) and not set(HIDDEN) & set(contigs.columns)
    assert len(contigs) == len(original) == 4004
    for column in contigs.columns:
        assert not contigs[column].astype(str).str.contains("clonotype", case=False).any(), column


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        ('{"n_clonotypes": 1515, "largest_size": 10, "largest_cdr3s": "CASSLEVGGGEETQYF"}', None),  # not a list
        ('{"n_clonotypes": 1515, "largest_size": 10}', None),  # a field missing
        ('{"n_clonotypes": -1, "largest_size": 10, "largest_cdr3s": []}', None),
        ("../task/data/tcr_contigs.csv", None),  # a path outside /work
        ('{"n_clonotypes": 1515, "largest_size": 10, "largest_cdr3s": ["CASSLEVGGGEETQYF", "CIVRGPRNTGNQFYF", '
         '"CAYRSVYRSFMYSGGGADGLTF", "CASSQLGRTKDSKNYGYTF"]}', 2 / 3),  # every CDR3 it can think of: not the set
        ('{"n_clonotypes": 1515.0, "largest_size": 10, "largest_cdr3s": ["CASSLEVGGGEETQYF", "CIVRGPRNTGNQFYF", '
         '"CAYRSVYRSFMYSGGGADGLTF", "CIVRGPRNTGNQFYF"]}', 1.0),  # a repeated CDR3 is still the set
    ],
)  # fmt: skip
def test_hostile_or_malformed_answers_are_refused_or_scored_as_given(prepared, tmp_path, answer, score):
    from benchmarks.base import AnswerError

    task, _ = prepared
    if score is None:
        with pytest.raises(AnswerError):
            task.parse_answer(answer, tmp_path)
    else:
        assert task.grade(task.parse_answer(answer, tmp_path)).value == pytest.approx(score)
