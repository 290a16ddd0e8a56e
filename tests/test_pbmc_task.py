"""The pbmc annotation task: no leak, reference reaches the target in the real sandbox, trivial answers don't."""

import json
import os

import anndata
import pytest

from benchmarks.base import AnswerError
from benchmarks.pbmc_annotation.task import ANSWER_FILE, DATA_FILE, AnnotationAnswer
from ctxbench.sandbox import SandboxConfig, make_sandbox
from tests.conftest import needs_bwrap
from tests.sandbox_backends import docker_ready


def run_script(task, prepared, name, workdir, backend="bubblewrap"):
    with make_sandbox(SandboxConfig(backend=backend), workdir, prepared.data_dir) as box:
        result = box.run_cell(task.script(name))
    assert result.outcome == "ok", result.render()
    return task.parse_answer(ANSWER_FILE, workdir)


def test_heldout_labels_are_removed_and_nothing_leaks_them(pbmc_task):
    task, prepared = pbmc_task
    adata = anndata.read_h5ad(prepared.data_dir / DATA_FILE)
    missing = adata.obs["bulk_labels"].isna()
    assert missing.sum() == 140
    assert set(adata.obs_names[missing]) == set(task._truth.index)
    assert "rank_genes_groups" not in adata.uns  # computed from all labels
    assert sorted(p.name for p in prepared.data_dir.iterdir()) == ["baseline.py", DATA_FILE]
    hidden = json.loads((prepared.data_dir.parent / "hidden" / "labels.json").read_text())
    assert hidden == task._truth.to_dict()


def test_holdout_depends_on_seed_only(pbmc_task, tmp_path):
    from benchmarks import make_task
    from benchmarks.pbmc_annotation.task import PbmcAnnotationConfig

    task, _ = pbmc_task
    same = make_task(PbmcAnnotationConfig(), seed=0)
    same.prepare(tmp_path / "a")
    other = make_task(PbmcAnnotationConfig(), seed=1)
    other.prepare(tmp_path / "b")
    assert list(same._truth.index) == list(task._truth.index)
    assert set(other._truth.index) != set(task._truth.index)


@needs_bwrap
def test_reference_reaches_target_and_baseline_does_not(pbmc_task, tmp_path):
    task, prepared = pbmc_task
    reference = task.grade(run_script(task, prepared, "reference", tmp_path / "ref" / "work"))
    baseline = task.grade(run_script(task, prepared, "baseline", tmp_path / "base" / "work"))
    assert reference.passed and reference.value >= 0.8, reference
    assert not baseline.passed and 0.6 < baseline.value < reference.value, baseline
    assert reference.metrics["coverage"] == 1.0


@pytest.mark.slow
def test_reference_scores_the_same_in_docker_as_in_bubblewrap(pbmc_task, tmp_path):
    if not docker_ready() and not os.environ.get("CI"):
        pytest.skip("docker sandbox image not built")
    task, prepared = pbmc_task
    scores = {
        backend: task.grade(run_script(task, prepared, "reference", tmp_path / backend / "work", backend))
        for backend in ("bubblewrap", "docker")
    }
    assert scores["docker"].passed
    assert scores["docker"].metrics == scores["bubblewrap"].metrics
    assert (tmp_path / "docker" / "work" / ANSWER_FILE).is_file()  # written in the container, visible on the host


def test_empty_and_constant_answers_fail(pbmc_task):
    task, _ = pbmc_task
    assert task.grade(None).value == 0.0
    assert task.grade(AnnotationAnswer(predictions={})).value == 0.0
    majority = task._truth.mode()[0]
    constant = task.grade(AnnotationAnswer(predictions={cell: majority for cell in task._truth.index}))
    assert not constant.passed and constant.value < 0.5
    assert constant.metrics["macro_f1"] < 0.1


@pytest.mark.parametrize(
    ("answer", "files", "message"),
    [
        ("", {}, "empty answer"),
        ("predictions.csv", {}, "does not exist"),
        ("../hidden/labels.json", {}, "must be inside /work"),
        ("predictions.csv", {"predictions.csv": "cell_id,type\na,b\n"}, "needs columns cell_id,label"),
        ("predictions.csv", {"predictions.csv": "cell,type,score\na,b,1\n"}, "needs columns cell_id,label"),
        ("predictions.csv", {"predictions.csv": ""}, "could not read"),
        ('{"a": ', {}, "not a JSON object"),
    ],
)
def test_invalid_answers_explain_themselves(pbmc_task, tmp_path, answer, files, message):
    task, _ = pbmc_task
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(AnswerError, match=message):
        task.parse_answer(answer, tmp_path)


def test_answer_accepts_sandbox_paths_and_inline_json(pbmc_task, tmp_path):
    task, _ = pbmc_task
    first, second = task._truth.index[:2]
    (tmp_path / "p.csv").write_text(f"cell_id,label\n{first},CD19+ B\n")
    assert task.parse_answer("/work/p.csv", tmp_path).predictions == {first: "CD19+ B"}
    assert task.parse_answer(f'`{{"{second}": "Dendritic"}}`', tmp_path).predictions == {second: "Dendritic"}


def test_labels_that_are_not_cell_types_or_rows_of_no_held_out_cell_are_sent_back(pbmc_task, tmp_path):
    # What 1.5B episodes submitted: louvain cluster numbers as labels, which scored 0 with no feedback.
    task, _ = pbmc_task
    cells = list(task._truth.index)
    (tmp_path / "clusters.csv").write_text("cell_id,label\n" + "".join(f"{c},{i % 3}\n" for i, c in enumerate(cells)))
    clusters = r"140 row\(s\) have labels that are not cell types, e.g. \['0', '1', '2'\]; .*one of: .*CD14\+ Monocyte"
    with pytest.raises(AnswerError, match=clusters):
        task.parse_answer("clusters.csv", tmp_path)
    (tmp_path / "empty.csv").write_text(
        "cell_id,label\n" + "".join(f"{c},\n" for c in cells[:139]) + f"{cells[139]},x\n"
    )
    with pytest.raises(AnswerError, match=r"^139 row\(s\) have an empty label .*; 1 row\(s\) have labels that"):
        task.parse_answer("empty.csv", tmp_path)
    (tmp_path / "indices.csv").write_text("cell_id,label\n" + "".join(f"{i},CD19+ B\n" for i in range(140)))
    with pytest.raises(AnswerError, match="none of the 140 held-out cells"):
        task.parse_answer("indices.csv", tmp_path)
    (tmp_path / "one.csv").write_text(f"cell_id,label\n{cells[0]},CD19+ B\n0,CD19+ B\n")
    assert task.grade(task.parse_answer("one.csv", tmp_path)).metrics["coverage"] == pytest.approx(1 / 140)


def test_a_file_written_without_its_header_row_is_read_as_rows(pbmc_task, tmp_path):
    # What a 0.5B episode wrote: f.write(f"{cell},{label}") for every cell, the header forgotten.
    task, _ = pbmc_task
    cells = list(task._truth.index[:3])
    (tmp_path / "p.csv").write_text("".join(f"{cell},CD19+ B\n" for cell in cells))
    assert task.parse_answer("p.csv", tmp_path).predictions == dict.fromkeys(cells, "CD19+ B")
