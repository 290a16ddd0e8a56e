"""Every task: its reference reaches the target in the real sandbox; its starter baseline, a trivial
answer and no answer at all do not."""

import pytest

from benchmarks import TASKS, make_task
from tests.conftest import needs_bwrap

pytestmark = needs_bwrap
FILE_TASKS = ["pbmc_annotation", "pbmc_clustering", "pbmc_markers", "pbmc_cell_cycle", "krumsiek_trajectory",
              "tcr_clonotypes", "tcell_multistep", "tcell_lineage", "ml_toy", "ml_breast_cancer", "ml_wine",
              "ml_diabetes", "humaneval", "humaneval_fix", "smoke_sum"]  # fmt: skip


@pytest.fixture(scope="module", params=FILE_TASKS)
def prepared(request, tmp_path_factory):
    task = make_task(TASKS.get(request.param).config_class(name=request.param), seed=0)
    return task, task.prepare(tmp_path_factory.mktemp(request.param) / "task")


def test_reference_reaches_the_target(prepared, tmp_path):
    task, prepared_task = prepared
    score = task.grade_script("reference", prepared_task.data_dir, tmp_path / "work")
    assert score.passed, score


@pytest.mark.parametrize("script", ["baseline", "trivial"])
def test_baseline_and_trivial_answers_do_not(prepared, tmp_path, script):
    task, prepared_task = prepared
    score = task.grade_script(script, prepared_task.data_dir, tmp_path / "work")
    assert not score.passed, score


def test_no_answer_scores_below_target(prepared):
    task, _ = prepared
    assert not task.grade(None).passed


@pytest.mark.parametrize("problem", [1, 7, 53, 163])
def test_humaneval_reference_passes_and_unwinnable_split_never_does(tmp_path, problem):
    for split, should_pass in (("official", True), ("unwinnable", False)):
        task = make_task(TASKS.get("humaneval").config_class(problem=problem, split=split), seed=0)
        prepared_task = task.prepare(tmp_path / split / "task")
        score = task.grade_script("reference", prepared_task.data_dir, tmp_path / split / "work")
        assert score.passed is should_pass, (split, score)


def test_humaneval_hostile_solution_is_contained(tmp_path):
    task = make_task(TASKS.get("humaneval").config_class(problem=0, check_timeout_s=2), seed=0)
    task.prepare(tmp_path / "task")
    (tmp_path / "solution.py").write_text(
        "def has_close_elements(numbers, threshold):\n    while True:\n        pass\n"
    )
    assert task.grade(task.parse_answer("solution.py", tmp_path)).value == 0.0


def markers_task(tmp_path):
    task = make_task(TASKS.get("pbmc_markers").config_class(), seed=0)
    task.prepare(tmp_path / "task")
    return task


def write_markers(tmp_path, rows: list[tuple[str, str]]):
    (tmp_path / "markers.csv").write_text("cell_type,gene\n" + "".join(f"{t},{g}\n" for t, g in rows))


def test_markers_count_a_gene_listed_many_times_once(tmp_path):
    task = markers_task(tmp_path)
    write_markers(tmp_path, [("CD14+ Monocyte", "LYZ")] * 10)  # one canonical gene, ten times
    score = task.grade(task.parse_answer("markers.csv", tmp_path))
    assert score.metrics["CD14+ Monocyte"] == pytest.approx(1 / 10)


def test_markers_written_as_printed_lists_or_for_other_types_are_sent_back(tmp_path):
    from benchmarks.base import AnswerError

    task = markers_task(tmp_path)
    # The 1.5B's file: right genes, but each type's numpy array printed into one cell.
    (tmp_path / "markers.csv").write_text(
        "cell_type,gene\nCD14+ Monocyte,\"['FTL' 'AIF1' 'LST1' 'TYROBP' 'PSAP'\n 'CTSS']\"\n"
    )
    with pytest.raises(AnswerError, match=r"not genes of adata.raw.var_names.*one gene symbol per row"):
        task.parse_answer("markers.csv", tmp_path)
    write_markers(tmp_path, [("CD4+ T", "LYZ")])
    with pytest.raises(AnswerError, match="cell_type must be one of"):
        task.parse_answer("markers.csv", tmp_path)
    write_markers(tmp_path, [("CD14+ Monocyte", g) for g in ["FTL", "AIF1", "LST1"]])
    assert task.parse_answer("markers.csv", tmp_path).markers == {"CD14+ Monocyte": ["FTL", "AIF1", "LST1"]}


def test_markers_with_more_than_k_rows_for_a_type_are_invalid(tmp_path):
    from benchmarks.base import AnswerError

    task = markers_task(tmp_path)
    write_markers(
        tmp_path,
        [
            ("CD19+ B", g)
            for g in ["CD79A", "CD79B", "MS4A1", "CD19", "CD74", "HLA-DRA", "TCL1A", "BANK1", "CD22", "CD37", "IGHD"]
        ],
    )
    with pytest.raises(AnswerError, match="at most 10 rows per cell type"):
        task.parse_answer("markers.csv", tmp_path)
