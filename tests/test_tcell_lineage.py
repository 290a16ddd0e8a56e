"""tcell_lineage: the grading is calibrated (sound pipelines reach at least 0.75 balanced accuracy,
known-wrong ones at most 0.62, the target of 0.8 sits between the starter baseline and the
reference), and the agent's copy holds nothing beside the counts that could stand in for the truth."""

import numpy as np
import pandas as pd
import pytest

from benchmarks.base import AnswerError
from benchmarks.common import read_h5ad
from benchmarks.tcell_lineage.task import DATA_FILE, LineageAnswer, TcellLineage, TcellLineageConfig
from benchmarks.wheel_data import wheel_dataset

CD8 = ["CD8A", "CD8B", "GZMK", "GZMA", "CCL5", "NKG7", "CST7", "GZMH"]
CD4 = ["CD4", "IL7R", "CD40LG", "FOXP3", "IL2RA", "CTLA4", "TNFRSF4", "ICOS"]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    task = TcellLineage(TcellLineageConfig(), seed=0)
    prepared = task.prepare(tmp_path_factory.mktemp("lineage") / "task")
    return task, read_h5ad(prepared.data_dir / DATA_FILE)


def counts(adata, genes) -> np.ndarray:
    return np.asarray(adata[:, genes].X.sum(axis=1)).ravel()


def log_normalised(adata):
    import scanpy as sc

    adata = adata.copy()
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    return adata


def marker_scores(adata, cd8=CD8, cd4=CD4) -> np.ndarray:
    import scanpy as sc

    adata = log_normalised(adata)
    sc.tl.score_genes(adata, cd8, score_name="cd8", random_state=0)
    sc.tl.score_genes(adata, cd4, score_name="cd4", random_state=0)
    return np.where(adata.obs["cd8"] > adata.obs["cd4"], "CD8", "CD4")


def clusters_by_cd8_share(adata, normalise=True) -> np.ndarray:
    """Leiden clusters, each called CD8 when most of its cells show a CD8A/CD8B count."""
    import scanpy as sc

    clustered = log_normalised(adata) if normalise else adata.copy()
    if normalise:
        sc.pp.highly_variable_genes(clustered, n_top_genes=2000)
    sc.pp.pca(clustered, random_state=0)
    sc.pp.neighbors(clustered, random_state=0)
    sc.tl.leiden(clustered, random_state=0, flavor="igraph", n_iterations=2, directed=False)
    share = pd.Series(counts(adata, ["CD8A", "CD8B"]) > 0).groupby(clustered.obs["leiden"].values, observed=True).mean()
    return np.where(clustered.obs["leiden"].map(share).astype(float) > 0.5, "CD8", "CD4")


SOUND = {
    "CD8A or CD8B seen (the baseline)": lambda a: np.where(counts(a, ["CD8A", "CD8B"]) > 0, "CD8", "CD4"),
    "score_genes, the three genes": lambda a: marker_scores(a, ["CD8A", "CD8B"], ["CD4"]),
    "score_genes, broad marker sets (the reference)": marker_scores,
    "Leiden clusters by their CD8 share": clusters_by_cd8_share,
}
WRONG = {
    "every cell CD4 (the trivial answer)": lambda a: np.full(a.n_obs, "CD4"),
    "every cell CD8": lambda a: np.full(a.n_obs, "CD8"),
    "CD4 seen, else CD8": lambda a: np.where(counts(a, ["CD4"]) > 0, "CD4", "CD8"),
    "the markers swapped": lambda a: np.where(counts(a, ["CD8A", "CD8B"]) > 0, "CD4", "CD8"),
    "clusters of unnormalised counts": lambda a: clusters_by_cd8_share(a, normalise=False),
    "a coin per cell": lambda a: np.random.default_rng(0).choice(["CD4", "CD8"], a.n_obs),
}


def score(task, adata, lineage) -> float:
    return task.grade(LineageAnswer(lineage=dict(zip(adata.obs_names, lineage, strict=True)))).value


@pytest.mark.parametrize("name", SOUND)
def test_every_sound_pipeline_reaches_075(prepared, name):
    task, adata = prepared
    assert score(task, adata, SOUND[name](adata)) >= 0.75


@pytest.mark.parametrize("name", WRONG)
def test_each_known_wrong_pipeline_stays_at_or_below_062(prepared, name):
    task, adata = prepared
    assert score(task, adata, WRONG[name](adata)) <= 0.62


def test_the_target_lies_between_the_baseline_and_the_reference(prepared):
    task, adata = prepared
    baseline = score(task, adata, SOUND["CD8A or CD8B seen (the baseline)"](adata))
    reference = score(task, adata, marker_scores(adata))
    assert baseline < task.target <= reference


def test_the_agents_copy_holds_only_counts_and_gene_names(prepared):
    _, adata = prepared
    original = read_h5ad(wheel_dataset("wu2020"))
    assert "cluster_orig" in original.obs  # what is hidden, and more beside it, was there
    assert list(adata.obs.columns) == [] and list(adata.var.columns) == []
    assert not adata.obsm and not adata.uns and not adata.layers and adata.raw is None
    assert list(adata.var_names) == list(original.var_names)
    assert not set(adata.obs_names) & set(original.obs_names)  # barcodes name the patient and tissue
    assert sorted(np.asarray(adata.X.sum(axis=1)).ravel()) == sorted(np.asarray(original.X.sum(axis=1)).ravel())


def test_the_3_1_mt_cells_are_not_scored_and_a_missing_cell_is_a_miss(prepared):
    task, adata = prepared
    right = dict(task._truth)
    unscored = [cell for cell in adata.obs_names if cell not in right]
    assert len(unscored) == 9  # the 3.1-MT cells
    assert task.grade(LineageAnswer(lineage=right | dict.fromkeys(unscored, "CD8"))).value == 1.0
    one_cd8_left_out = next(cell for cell, lineage in right.items() if lineage == "CD8")
    fewer = {cell: lineage for cell, lineage in right.items() if cell != one_cd8_left_out}
    assert task.grade(LineageAnswer(lineage=fewer)).value == pytest.approx((1 + 90 / 91) / 2)
    assert task.grade(None).value == 0.0


@pytest.mark.parametrize(
    ("rows", "accepted"),
    [
        ("cell_id,lineage\ncell_0000,cd8+\ncell_0001,CD4 T\n", True),  # spelled loosely: read as CD8, CD4
        ("cell_id,lineage\ncell_0000,CD8\ncell_0001,NK\n", False),  # not a lineage
        ("cell_id,lineage\ncell_0000,0\ncell_0001,1\n", False),  # cluster numbers
        ("cell_id,lineage\n0,CD8\n1,CD4\n", False),  # row numbers, not cell ids
        ("cell_id,label\ncell_0000,CD8\n", False),  # the wrong column
    ],
)
def test_malformed_answers_are_sent_back(prepared, tmp_path, rows, accepted):
    task, _ = prepared
    (tmp_path / "lineage.csv").write_text(rows)
    if accepted:
        assert task.parse_answer("lineage.csv", tmp_path).lineage == {"cell_0000": "CD8", "cell_0001": "CD4"}
    else:
        with pytest.raises(AnswerError):
            task.parse_answer("lineage.csv", tmp_path)


@pytest.mark.parametrize("name", ["../task/data/wu2020_counts.h5ad", "/etc/passwd", ".", ""])
def test_an_answer_outside_work_or_no_file_is_refused(prepared, tmp_path, name):
    task, _ = prepared
    with pytest.raises(AnswerError):
        task.parse_answer(name, tmp_path)


def test_both_labels_for_a_cell_or_every_cell_one_label_earn_nothing_above_trivial(prepared, tmp_path):
    """A file naming each cell twice, once per lineage, is read as one label per cell (the last
    row), not as two chances; all CD8 is the trivial 0.5."""
    task, adata = prepared
    rows = "".join(f"{cell},CD4\n{cell},CD8\n" for cell in adata.obs_names)
    (tmp_path / "lineage.csv").write_text("cell_id,lineage\n" + rows)
    assert task.grade(task.parse_answer("lineage.csv", tmp_path)).value == 0.5
