"""CD4 or CD8: the lineage of each of 200 tumour-infiltrating T cells (Wu et al. 2020, scirpy's test
data) from raw counts alone, the expert subtypes hidden. Half the cells show no CD4, CD8A or CD8B
transcript, so a single marker is not enough. Scored by balanced accuracy against the expert
subtype's lineage ("4.x" CD4, "8.x" CD8); the 9 cells of "3.1-MT", neither, are not scored."""

from pathlib import Path
from typing import ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field

from benchmarks.base import TASKS, AnswerError, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import (
    ANNDATA_PRELOAD,
    ANNDATA_PRIMER,
    bare_copy,
    read_answer_csv,
    read_h5ad,
    shuffled_cells,
    write_h5ad,
)
from benchmarks.wheel_data import WHEEL_FILES, wheel_dataset

DATA_FILE = "wu2020_counts.h5ad"
LINEAGES = ("CD4", "CD8")

PROMPT = """\
Task: call the lineage of every T cell, CD4 or CD8 (single-cell RNA-seq of T cells from tumours,
normal tissue and blood of cancer patients, Wu et al. 2020).

Data: /data/{data_file}, an AnnData file with {n_cells} cells x {n_genes} genes: raw counts, gene
symbols as var_names, no annotations. Load it with:
    import anndata
    adata = anndata.read_h5ad("/data/{data_file}")
10x data is sparse: about half the cells have no CD4, CD8A or CD8B count at all, so use more than
those three genes (for example normalise, log-transform and score CD4 and CD8 marker sets with
sc.tl.score_genes, or cluster the cells and label each cluster).

Answer: write /work/lineage.csv with header `cell_id,lineage` (one row per cell, cell_id = obs name,
lineage = CD4 or CD8), then reply: FINAL_ANSWER: lineage.csv

Grading, done by the harness after you submit (the expert annotation is hidden from you, so you
cannot compute it yourself): balanced accuracy (the mean of the CD4 and CD8 recalls) against expert
subtypes; a good answer reaches {target}.
"""


class TcellLineageConfig(TaskConfig):
    name: Literal["tcell_lineage"] = "tcell_lineage"
    target_balanced_accuracy: float = Field(0.8, gt=0.5, le=1)


class LineageAnswer(BaseModel):
    lineage: dict[str, str]


def lineage_of(subtypes: pd.Series) -> pd.Series:
    """The expert subtype's lineage, CD4 or CD8; NaN for a subtype that is neither (3.1-MT)."""
    return subtypes.astype(str).str[:2].map({"4.": "CD4", "8.": "CD8"})


def normalised(label: str) -> str:
    return label.strip().upper().removesuffix("+").removesuffix(" T").strip()  # "cd8", "CD8+", "CD8 T"


def balanced_accuracy(given: dict[str, str], truth: pd.Series) -> float:
    """Mean recall over the lineages; a scored cell left out of the answer is a miss."""
    predicted = pd.Series([given.get(cell) for cell in truth.index], index=truth.index)
    return float(sum((predicted[truth == lineage] == lineage).mean() for lineage in LINEAGES) / len(LINEAGES))


@TASKS.register("tcell_lineage")
class TcellLineage(Task):
    config_class = TcellLineageConfig
    metric = "balanced_accuracy"
    description = "CD4 vs CD8 lineage of Wu 2020 T cells from raw counts (subtypes hidden); balanced accuracy"
    folder = Path(__file__).parent
    answer_text = "lineage.csv"
    target_text = "balanced accuracy >= 0.8"
    config: TcellLineageConfig
    primer = ANNDATA_PRIMER
    preload = ANNDATA_PRELOAD
    sources = (WHEEL_FILES["wu2020"].source,)
    clarifications: ClassVar[dict[str, str]] = {
        "mt|3.1|neither|other|unscored": "A few cells are neither CD4 nor CD8 in the expert annotation; they are "
        "not scored, but still give every cell CD4 or CD8.",
        "marker|markers|genes|gene": "CD8 T cells express CD8A and CD8B (and often GZMK, NKG7, CCL5); CD4 T cells "
        "CD4, IL7R, CD40LG (Tregs FOXP3, IL2RA).",
        "format|csv|answer|file": "A CSV with header cell_id,lineage and one row per cell; lineage is CD4 or CD8.",
    }

    @property
    def target(self) -> float:
        return self.config.target_balanced_accuracy

    def prepare(self, workspace: Path) -> PreparedTask:
        original = read_h5ad(wheel_dataset("wu2020"))
        adata, old_names = shuffled_cells(original, self.seed)
        truth = lineage_of(original.obs.loc[old_names, "cluster_orig"]).set_axis(adata.obs_names)
        self._truth = truth.dropna()
        self._cells = set(adata.obs_names)
        data_dir = write_h5ad(bare_copy(adata), workspace, DATA_FILE)
        prompt = PROMPT.format(data_file=DATA_FILE, n_cells=adata.n_obs, n_genes=adata.n_vars, target=self.target)
        return PreparedTask(prompt=prompt, data_dir=data_dir)

    def parse_answer(self, text: str, workdir: Path) -> LineageAnswer:
        frame = read_answer_csv(workdir, text, ["cell_id", "lineage"])
        labels = frame["lineage"].fillna("").astype(str).map(normalised)
        unknown = sorted(set(frame["lineage"].fillna("").astype(str)[~labels.isin(LINEAGES)]))
        if unknown:
            raise AnswerError(f"{len(unknown)} lineage value(s) are neither CD4 nor CD8, e.g. {unknown[:3]}")
        if not set(frame["cell_id"]) & self._cells:
            raise AnswerError("no row names a cell of the data file: cell_id must be adata.obs_names")
        return LineageAnswer(lineage=dict(zip(frame["cell_id"], labels, strict=True)))

    def grade(self, answer: BaseModel | None) -> Score:
        given = answer.lineage if isinstance(answer, LineageAnswer) else {}
        coverage = sum(cell in given for cell in self._truth.index) / len(self._truth)
        value = balanced_accuracy(given, self._truth)
        return Score(self.metric, value, self.target, {"balanced_accuracy": value, "coverage": coverage})
