"""Cell-cycle phase fractions on pbmc68k_reduced: the stored `phase` is hidden, the S and G2M scores
are kept; the agent reports the fraction of cells in G1, S and G2M. Scored by 1 - the largest
absolute error against the stored phases (target: every fraction within the tolerance)."""

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from benchmarks.base import TASKS, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import ANNDATA_PRELOAD, ANNDATA_PRIMER, read_answer_model, read_h5ad, scanpy_dataset, write_h5ad

DATA_FILE = "pbmc68k_no_phase.h5ad"
PHASES = ("G1", "S", "G2M")

PROMPT = """\
Task: estimate cell-cycle phase fractions in a single-cell RNA-seq dataset (10x PBMCs).

Data: /data/{data_file}, an AnnData file with {n_cells} cells x {n_genes} genes. Load it with:
    import anndata
    adata = anndata.read_h5ad("/data/{data_file}")
adata.obs has S_score and G2M_score: cell-cycle scores computed as in scanpy's
score_genes_cell_cycle. Assign each cell a phase (G1, S or G2M) the way scanpy does, and report the
fraction of cells in each phase. Graded after you submit (the stored phases are hidden from you):
1 - the largest absolute error of the three fractions; a good answer has every fraction within {tolerance}.

Answer: write /work/phases.json, e.g. {{"G1": 0.5, "S": 0.3, "G2M": 0.2}}, then reply:
FINAL_ANSWER: phases.json
"""


class PbmcCellCycleConfig(TaskConfig):
    name: Literal["pbmc_cell_cycle"] = "pbmc_cell_cycle"
    tolerance: float = Field(0.05, gt=0, lt=1)


class PhaseFractions(BaseModel):
    G1: float = Field(ge=0, le=1)
    S: float = Field(ge=0, le=1)
    G2M: float = Field(ge=0, le=1)


@TASKS.register("pbmc_cell_cycle")
class PbmcCellCycle(Task):
    config_class = PbmcCellCycleConfig
    metric = "one_minus_max_error"
    description = "cell-cycle phase fractions from S/G2M scores; within a tolerance of the stored phases"
    folder = Path(__file__).parent
    sources = (("scanpy", "datasets/10x_pbmc68k_reduced.h5ad"),)
    answer_text = "phases.json"
    target_text = "each fraction within 0.05"
    config: PbmcCellCycleConfig
    primer = ANNDATA_PRIMER
    preload = ANNDATA_PRELOAD
    clarifications: ClassVar[dict[str, str]] = {
        "rule|assign|phase|how|scanpy": "scanpy: G1 if both scores are negative, "
        "otherwise the phase with the higher score.",
        "format|json|answer|file": "A JSON object with keys G1, S, G2M and fractions that sum to 1.",
    }

    @property
    def target(self) -> float:
        return 1 - self.config.tolerance

    def prepare(self, workspace: Path) -> PreparedTask:
        adata = read_h5ad(scanpy_dataset("10x_pbmc68k_reduced.h5ad"))
        self._truth = adata.obs["phase"].astype(str).value_counts(normalize=True).reindex(PHASES, fill_value=0.0)
        adata.obs = adata.obs.drop(columns=["phase"])
        data_dir = write_h5ad(adata, workspace, DATA_FILE)
        prompt = PROMPT.format(data_file=DATA_FILE, n_cells=adata.n_obs, n_genes=adata.n_vars,
                               target=round(self.target, 3), tolerance=self.config.tolerance)  # fmt: skip
        return PreparedTask(prompt=prompt, data_dir=data_dir)

    def parse_answer(self, text: str, workdir: Path) -> PhaseFractions:
        return read_answer_model(workdir, text, PhaseFractions, "expected a JSON object with fractions G1, S, G2M")

    def grade(self, answer: BaseModel | None) -> Score:
        if not isinstance(answer, PhaseFractions):
            return Score(self.metric, 0.0, self.target, {"max_abs_error": 1.0})
        errors = {p: abs(getattr(answer, p) - float(self._truth[p])) for p in PHASES}
        worst = max(errors.values())
        return Score(
            self.metric,
            1 - worst,
            self.target,
            {"max_abs_error": worst, **{f"error_{p}": e for p, e in errors.items()}},
        )
