"""Pseudotime on krumsiek11 (scanpy's simulated myeloid differentiation: 4 simulations x 160 time
steps, 11 genes). Cells are shuffled and renamed, the simulation time and fate labels hidden; the
root (a stem cell at time 0) is given. Scored by Spearman correlation with the simulation time."""

from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from benchmarks.base import TASKS, AnswerError, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import (
    ANNDATA_PRELOAD,
    ANNDATA_PRIMER,
    numeric_column,
    read_answer_csv,
    scanpy_dataset,
    write_h5ad,
)

DATA_FILE = "krumsiek11_shuffled.h5ad"
STEPS_PER_SIMULATION = 160

PROMPT = """\
Task: order cells along their differentiation trajectory (pseudotime).

Data: /data/{data_file}, an AnnData file with {n_cells} cells x {n_genes} genes (simulated myeloid
progenitors differentiating into four fates). Load it with:
    import anndata
    adata = anndata.read_h5ad("/data/{data_file}")
The root cell (a stem cell at the start) is adata.uns["root_cell"] = "{root}".
Give every cell a pseudotime (larger = later). A standard way: sc.pp.neighbors(adata), then
sc.tl.diffmap(adata), then adata.uns['iroot'] = adata.obs_names.get_loc(adata.uns['root_cell']), then
sc.tl.dpt(adata), which puts a pseudotime for every cell in adata.obs['dpt_pseudotime'].

Answer: write /work/pseudotime.csv with header `cell_id,pseudotime` (one row per cell, cell_id = obs
name), then reply: FINAL_ANSWER: pseudotime.csv

Grading, done by the harness after you submit (the true times are hidden from you, so you cannot
compute it yourself): Spearman correlation with the simulation time; a good answer reaches {target}.
"""


class KrumsiekTrajectoryConfig(TaskConfig):
    name: Literal["krumsiek_trajectory"] = "krumsiek_trajectory"
    target_spearman: float = Field(0.85, gt=0, le=1)


class PseudotimeAnswer(BaseModel):
    pseudotime: dict[str, float]


def load_krumsiek() -> tuple[pd.DataFrame, np.ndarray]:
    """(expression, simulation time) from the text file shipped in scanpy's wheel."""
    table = pd.read_csv(scanpy_dataset("krumsiek11.txt"), sep=r"\s+", comment="#", header=None)
    header = next(line for line in scanpy_dataset("krumsiek11.txt").read_text().splitlines() if line.startswith("# it"))
    table.columns = header[1:].split()
    return table.drop(columns=["it"]), table["it"].to_numpy()


@TASKS.register("krumsiek_trajectory")
class KrumsiekTrajectory(Task):
    config_class = KrumsiekTrajectoryConfig
    metric = "spearman"
    description = "pseudotime on krumsiek11 (simulated); Spearman correlation with simulation time"
    folder = Path(__file__).parent
    sources = (("scanpy", "datasets/krumsiek11.txt"),)
    answer_text = "pseudotime.csv"
    target_text = "Spearman >= 0.85"
    config: KrumsiekTrajectoryConfig
    primer = ANNDATA_PRIMER
    preload = ANNDATA_PRELOAD
    clarifications: ClassVar[dict[str, str]] = {
        "root|start|origin|stem": "adata.uns['root_cell'] names a cell at the very start of the process.",
        "scale|range|units|pseudotime": "Any scale: only the order of cells matters (Spearman correlation).",
    }

    @property
    def target(self) -> float:
        return self.config.target_spearman

    def prepare(self, workspace: Path) -> PreparedTask:
        import anndata

        expression, time = load_krumsiek()
        order = np.random.default_rng(self.seed).permutation(len(time))
        names = [f"cell_{i:03d}" for i in range(len(time))]
        self._truth = pd.Series(time[order], index=names)
        root = names[int(np.flatnonzero(order == 0)[0])]  # the first simulation's first cell
        adata = anndata.AnnData(expression.to_numpy(dtype=np.float32)[order], obs=pd.DataFrame(index=names),
                                var=pd.DataFrame(index=expression.columns))  # fmt: skip
        adata.uns["root_cell"] = root
        data_dir = write_h5ad(adata, workspace, DATA_FILE)
        prompt = PROMPT.format(data_file=DATA_FILE, n_cells=adata.n_obs, n_genes=adata.n_vars, root=root,
                               target=self.target)  # fmt: skip
        return PreparedTask(prompt=prompt, data_dir=data_dir)

    def parse_answer(self, text: str, workdir: Path) -> PseudotimeAnswer:
        frame = read_answer_csv(workdir, text, ["cell_id", "pseudotime"])
        values = numeric_column(frame, "pseudotime")
        if len(values) > 1 and values.nunique() < 2:  # no order, graded 0: the 0.5B wrote the root's index
            raise AnswerError(f"every cell has the same pseudotime ({values.iloc[0]:g}): write each cell's own value")
        return PseudotimeAnswer(pseudotime=dict(zip(frame["cell_id"], values, strict=True)))

    def grade(self, answer: BaseModel | None) -> Score:
        from scipy.stats import spearmanr

        given = answer.pseudotime if isinstance(answer, PseudotimeAnswer) else {}
        coverage = sum(c in given for c in self._truth.index) / len(self._truth)
        if coverage < 1 or len(set(given.values())) < 2:
            return Score(self.metric, 0.0, self.target, {"spearman": 0.0, "coverage": coverage})
        rho = float(spearmanr([given[c] for c in self._truth.index], self._truth.values).statistic)
        return Score(self.metric, rho, self.target, {"spearman": rho, "coverage": coverage})
