"""Clustering of pbmc68k_reduced with every label and stored clustering removed; scored by ARI (and
NMI) against the hidden bulk_labels."""

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from benchmarks.base import TASKS, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import ANNDATA_PRELOAD, ANNDATA_PRIMER, read_answer_csv, read_h5ad, scanpy_dataset, write_h5ad

DATA_FILE = "pbmc68k_unlabeled.h5ad"
LEAKS = ["bulk_labels", "louvain"]

PROMPT = """\
Task: cluster the cells of a single-cell RNA-seq dataset (10x PBMCs) into cell populations: give
every cell a cluster number.

Data: /data/{data_file}, an AnnData file with {n_cells} cells x {n_genes} genes. Load it with:
    import anndata
    adata = anndata.read_h5ad("/data/{data_file}")
adata.X is scaled log-normalized expression, adata.raw is log-normalized, adata.obsm['X_pca'] holds PCs.
No cell-type labels are given. A standard way: sc.pp.neighbors(adata) then sc.tl.leiden(adata), which
puts a cluster number for every cell in adata.obs['leiden'].

Answer: write /work/clusters.csv with header `cell_id,cluster` (one row per cell, cell_id = obs name),
then reply: FINAL_ANSWER: clusters.csv

Grading, done by the harness after you submit (the expert cell types are hidden from you, so you
cannot compute it yourself): adjusted Rand index of your clusters against the expert cell types;
a good answer reaches {target}.
"""


class PbmcClusteringConfig(TaskConfig):
    name: Literal["pbmc_clustering"] = "pbmc_clustering"
    target_ari: float = Field(0.5, gt=0, le=1)


class ClusteringAnswer(BaseModel):
    clusters: dict[str, str]


@TASKS.register("pbmc_clustering")
class PbmcClustering(Task):
    config_class = PbmcClusteringConfig
    metric = "ari"
    description = "cluster PBMCs without labels; ARI against hidden bulk_labels"
    folder = Path(__file__).parent
    sources = (("scanpy", "datasets/10x_pbmc68k_reduced.h5ad"),)
    answer_text = "clusters.csv"
    target_text = "ARI >= 0.50"
    config: PbmcClusteringConfig
    primer = ANNDATA_PRIMER
    preload = ANNDATA_PRELOAD
    clarifications: ClassVar[dict[str, str]] = {
        "how|many|number|clusters|k": "The number of clusters is up to you; there are about 10 expert cell types.",
        "metric|score|ari|scored": "Adjusted Rand index against the expert labels; NMI is reported too.",
    }

    @property
    def target(self) -> float:
        return self.config.target_ari

    def prepare(self, workspace: Path) -> PreparedTask:
        adata = read_h5ad(scanpy_dataset("10x_pbmc68k_reduced.h5ad"))
        self._truth = adata.obs["bulk_labels"].astype(str)
        adata.obs = adata.obs.drop(columns=LEAKS)
        for key in ("louvain", "louvain_colors", "bulk_labels_colors", "rank_genes_groups"):
            adata.uns.pop(key, None)
        data_dir = write_h5ad(adata, workspace, DATA_FILE)
        prompt = PROMPT.format(data_file=DATA_FILE, n_cells=adata.n_obs, n_genes=adata.n_vars, target=self.target)
        return PreparedTask(prompt=prompt, data_dir=data_dir)

    def parse_answer(self, text: str, workdir: Path) -> ClusteringAnswer:
        frame = read_answer_csv(workdir, text, ["cell_id", "cluster"])
        return ClusteringAnswer(clusters=dict(zip(frame["cell_id"], frame["cluster"].fillna(""), strict=True)))

    def grade(self, answer: BaseModel | None) -> Score:
        from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

        clusters = answer.clusters if isinstance(answer, ClusteringAnswer) else {}
        # Cells without a cluster share one "missing" cluster: no answer scores 0 on both metrics.
        predicted = [clusters.get(cell, "<missing>") for cell in self._truth.index]
        ari = float(adjusted_rand_score(self._truth.values, predicted))
        nmi = float(normalized_mutual_info_score(self._truth.values, predicted))
        coverage = sum(cell in clusters for cell in self._truth.index) / len(self._truth)
        return Score(self.metric, ari, self.target, {"ari": ari, "nmi": nmi, "coverage": coverage})
