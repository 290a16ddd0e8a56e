"""Clonotype expansion from a 10x TCR contig table (scirpy's test data: 4,004 contigs of 1,556 PBMC
T cells) with Cell Ranger's clonotype ids removed: the agent reports how many clonotypes there
are, and the largest one's size and CDR3s. Scored per field, exact (partial credit: the share of
fields right); the truth is Cell Ranger's grouping, which productive (chain, CDR3) pairs reproduce."""

from pathlib import Path
from typing import ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field

from benchmarks.base import TASKS, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import data_folder, read_answer_model
from benchmarks.wheel_data import WHEEL_FILES, wheel_dataset

DATA_FILE = "tcr_contigs.csv"
HIDDEN = ["raw_clonotype_id", "raw_consensus_id"]  # Cell Ranger's clonotype: the truth itself

PROMPT = """\
Task: find the clonotypes of T cells from their T-cell receptor (TCR) sequences (10x Genomics
single-cell V(D)J data, human PBMCs).

Data: /data/{data_file}, a CSV with one row per assembled contig: {n_contigs} contigs of {n_cells}
cells. Columns: {columns}. `barcode` names the cell, `chain` is TRA or TRB, `productive` (True or
False) says whether the contig encodes a functional chain, `cdr3` is its CDR3 amino-acid sequence.

A clonotype is a group of cells with identical productive chains: two cells are in the same
clonotype when they have the same set of (chain, cdr3) pairs over their productive contigs.
Report the number of clonotypes, the number of cells in the largest clonotype, and the CDR3
amino-acid sequences of the largest clonotype (of its productive contigs). Graded after you submit,
each of the three fields exactly.

Answer: write /work/clonotypes.json with the keys n_clonotypes (an integer), largest_size (an integer)
and largest_cdr3s (a list of strings), then reply: FINAL_ANSWER: clonotypes.json
"""


class TcrClonotypesConfig(TaskConfig):
    name: Literal["tcr_clonotypes"] = "tcr_clonotypes"


class Clonotypes(BaseModel):
    n_clonotypes: int = Field(ge=0)
    largest_size: int = Field(ge=0)
    largest_cdr3s: list[str]


def clonotype_truth(contigs: pd.DataFrame) -> Clonotypes:
    """Cell Ranger's own grouping (its clonotype id per cell), read from the hidden columns."""
    per_cell = contigs.groupby("barcode")["raw_clonotype_id"].first()
    sizes = per_cell.value_counts()
    largest = sizes.index[0]
    if len(sizes) > 1 and sizes.iloc[1] == sizes.iloc[0]:
        raise ValueError("the largest clonotype is not unique: the task would be ambiguous")
    chains = contigs[(contigs["raw_clonotype_id"] == largest) & is_productive(contigs)]
    return Clonotypes(n_clonotypes=len(sizes), largest_size=int(sizes.iloc[0]),
                      largest_cdr3s=sorted(set(chains["cdr3"].dropna())))  # fmt: skip


def is_productive(contigs: pd.DataFrame) -> pd.Series:
    return contigs["productive"].astype(str).str.lower() == "true"


@TASKS.register("tcr_clonotypes")
class TcrClonotypes(Task):
    config_class = TcrClonotypesConfig
    metric = "fields_exact"
    description = "TCR clonotypes from 10x contigs (ids hidden): count, largest size and CDR3s, exact per field"
    folder = Path(__file__).parent
    answer_text = "clonotypes.json"
    target_text = "all 3 fields exact"
    config: TcrClonotypesConfig
    sources = (WHEEL_FILES["pbmc3_tcr_contigs"].source,)
    clarifications: ClassVar[dict[str, str]] = {
        "productive|nonproductive|filter": "Use only contigs with productive == True; every cell has at least one.",
        "clonotype|define|definition|same|identical": "Cells are one clonotype when the sets of (chain, cdr3) "
        "pairs of their productive contigs are equal.",
        "format|json|answer|file": "A JSON object with n_clonotypes, largest_size and largest_cdr3s (a list).",
    }

    @property
    def target(self) -> float:
        return 1.0

    def prepare(self, workspace: Path) -> PreparedTask:
        contigs = pd.read_csv(wheel_dataset("pbmc3_tcr_contigs"))
        self._truth = clonotype_truth(contigs)
        visible = contigs.drop(columns=HIDDEN)
        folder = data_folder(workspace)
        visible.to_csv(folder / DATA_FILE, index=False)
        prompt = PROMPT.format(data_file=DATA_FILE, n_contigs=len(visible), n_cells=visible["barcode"].nunique(),
                               columns=", ".join(visible.columns))  # fmt: skip
        return PreparedTask(prompt=prompt, data_dir=folder)

    def parse_answer(self, text: str, workdir: Path) -> Clonotypes:
        expected = "expected a JSON object with n_clonotypes, largest_size, largest_cdr3s"
        return read_answer_model(workdir, text, Clonotypes, expected)

    def grade(self, answer: BaseModel | None) -> Score:
        truth = self._truth
        fields = {"n_clonotypes": 0.0, "largest_size": 0.0, "largest_cdr3s": 0.0}
        if isinstance(answer, Clonotypes):
            fields = {
                "n_clonotypes": float(answer.n_clonotypes == truth.n_clonotypes),
                "largest_size": float(answer.largest_size == truth.largest_size),
                "largest_cdr3s": float(set(answer.largest_cdr3s) == set(truth.largest_cdr3s)),
            }
        return Score(self.metric, sum(fields.values()) / len(fields), self.target, fields)
