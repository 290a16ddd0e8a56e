"""A multi-step analysis of tumour-infiltrating T cells (Wu et al. 2020, 200 cells, scirpy's test
data) whose later questions need what the agent found first: the patient with the most tumour
cells, then that patient's CD8 shares and main subtype, then Treg shares by tissue. Eight fields,
each graded on its own (exact, or within 0.01 for fractions); the score is the share right. This
is where context policies differ: a fact found at the start must still be known at the end."""

from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel

from benchmarks.base import TASKS, AnswerError, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import ANNDATA_PRELOAD, ANNDATA_PRIMER, read_answer_model, read_h5ad, write_h5ad
from benchmarks.wheel_data import WHEEL_FILES, wheel_dataset

DATA_FILE = "wu2020_tcells.h5ad"
KEPT_OBS = ["patient", "source", "cluster_orig", "clonotype_orig"]  # what the prompt names; the rest goes
TREGS = ("4.6a-Treg", "4.6b-Treg")
TOLERANCE = 0.01  # fractions; the slips it must tell apart differ by > 0.02 (tests/test_tcell_multistep.py)

PROMPT = """\
Task: a multi-step analysis of T cells from tumours, normal adjacent tissue and blood of 14 cancer
patients (single-cell RNA-seq, Wu et al. 2020).

Data: /data/{data_file}, an AnnData file with {n_cells} cells x {n_genes} genes (raw counts). Load it with:
    import anndata
    adata = anndata.read_h5ad("/data/{data_file}")
adata.obs columns: `patient`; `source` (the tissue: "Tumor", "NAT" = normal adjacent tissue, or
"Blood"); `cluster_orig` (the T-cell subtype: names starting "4." are CD4 subtypes, "8." CD8
subtypes, "3.1-MT" is neither; the regulatory T cells are "4.6a-Treg" and "4.6b-Treg");
`clonotype_orig` (the cell's TCR clonotype).

Answer these in order; later questions use earlier answers:
1. patient: the patient with the most Tumor cells.
2. tumor_cells: how many Tumor cells that patient has.
3. cd8_fraction_tumor: among that patient's Tumor cells with a CD4 or CD8 subtype, the fraction
   with a CD8 subtype.
4. cd8_fraction_nat: the same among that patient's NAT cells.
5. top_subtype_tumor: the most frequent cluster_orig among that patient's Tumor cells.
6. treg_fraction_tumor: over all patients, the fraction of Tumor cells that are regulatory T cells.
7. treg_fraction_nat: the same for NAT cells.
8. treg_fraction_blood: the same for Blood cells.
Each field is graded on its own after you submit (fractions within {tolerance}); a key left out
scores 0 for that field only.

Answer: write /work/answers.json with these eight keys, e.g.
{{"patient": "Renal1", "tumor_cells": 5, "cd8_fraction_tumor": 0.5, "cd8_fraction_nat": 0.25,
  "top_subtype_tumor": "4.4-FOS", "treg_fraction_tumor": 0.1, "treg_fraction_nat": 0.05,
  "treg_fraction_blood": 0.0}}
then reply: FINAL_ANSWER: answers.json
"""


class TcellMultistepConfig(TaskConfig):
    name: Literal["tcell_multistep"] = "tcell_multistep"


class Answers(BaseModel):
    """The truth (every field set) and what an agent submits (a key left out is None and earns 0
    for that field only)."""

    patient: str | None = None
    tumor_cells: int | None = None
    cd8_fraction_tumor: float | None = None
    cd8_fraction_nat: float | None = None
    top_subtype_tumor: str | None = None
    treg_fraction_tumor: float | None = None
    treg_fraction_nat: float | None = None
    treg_fraction_blood: float | None = None


FRACTIONS = {name for name, field in Answers.model_fields.items() if field.annotation == float | None}


def cd8_fraction(cells: pd.DataFrame) -> float:
    lineage = cells["cluster_orig"].astype(str).str[:2]
    typed = lineage[lineage.isin(["4.", "8."])]
    return float((typed == "8.").mean())


def answers_for(obs: pd.DataFrame) -> Answers:
    """The eight answers from the cells' annotations (the grader's and the calibration's)."""
    obs = obs.assign(cluster_orig=obs["cluster_orig"].astype(str), source=obs["source"].astype(str),
                     patient=obs["patient"].astype(str))  # fmt: skip
    tumor = obs[obs["source"] == "Tumor"]
    counts = tumor["patient"].value_counts()
    if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
        raise ValueError("two patients tie for the most tumour cells: the task would be ambiguous")
    patient = str(counts.index[0])
    mine = obs[obs["patient"] == patient]
    subtypes = mine[mine["source"] == "Tumor"]["cluster_orig"].value_counts()
    if len(subtypes) > 1 and subtypes.iloc[0] == subtypes.iloc[1]:
        raise ValueError("two subtypes tie in that patient's tumour: the task would be ambiguous")
    treg = {source: float(obs[obs["source"] == source]["cluster_orig"].isin(TREGS).mean())
            for source in ("Tumor", "NAT", "Blood")}  # fmt: skip
    return Answers(
        patient=patient, tumor_cells=int(counts.iloc[0]),
        cd8_fraction_tumor=cd8_fraction(mine[mine["source"] == "Tumor"]),
        cd8_fraction_nat=cd8_fraction(mine[mine["source"] == "NAT"]),
        top_subtype_tumor=str(subtypes.index[0]),
        treg_fraction_tumor=treg["Tumor"], treg_fraction_nat=treg["NAT"], treg_fraction_blood=treg["Blood"],
    )  # fmt: skip


def field_right(name: str, given: Any, truth: Any) -> float:
    if given is None:
        return 0.0
    if name in FRACTIONS:
        return float(abs(given - truth) <= TOLERANCE)
    if isinstance(truth, str):
        return float(given.strip().lower() == truth.lower())
    return float(given == truth)


@TASKS.register("tcell_multistep")
class TcellMultistep(Task):
    config_class = TcellMultistepConfig
    metric = "fields_right"
    description = "8-field analysis of Wu 2020 T cells; later fields need the patient found first"
    folder = Path(__file__).parent
    answer_text = "answers.json"
    target_text = "all 8 fields right"
    config: TcellMultistepConfig
    primer = ANNDATA_PRIMER
    preload = ANNDATA_PRELOAD
    sources = (WHEEL_FILES["wu2020"].source,)
    clarifications: ClassVar[dict[str, str]] = {
        "nat|normal|tissue|source": 'NAT is "normal adjacent tissue": adata.obs["source"] == "NAT".',
        "treg|regulatory": 'Regulatory T cells: cluster_orig "4.6a-Treg" or "4.6b-Treg".',
        "mt|3.1|neither|denominator": '"3.1-MT" cells are neither CD4 nor CD8: leave them out of the CD8 '
        "fractions (questions 3, 4), keep them in every other count.",
        "format|json|answer|file": "A JSON object with the eight keys named in the task.",
    }

    @property
    def target(self) -> float:
        return 1.0

    def prepare(self, workspace: Path) -> PreparedTask:
        adata = read_h5ad(wheel_dataset("wu2020"))
        self._truth = answers_for(adata.obs)
        adata.obs = adata.obs[KEPT_OBS].copy()
        adata.obsm.clear()  # a stored UMAP is no question's business
        adata.uns.clear()
        data_dir = write_h5ad(adata, workspace, DATA_FILE)
        prompt = PROMPT.format(data_file=DATA_FILE, n_cells=adata.n_obs, n_genes=adata.n_vars, tolerance=TOLERANCE)
        return PreparedTask(prompt=prompt, data_dir=data_dir)

    def parse_answer(self, text: str, workdir: Path) -> BaseModel:
        keys = list(Answers.model_fields)
        answer = read_answer_model(workdir, text, Answers, f"expected a JSON object with the keys {keys}")
        if not answer.model_fields_set:  # keys it does not know are ignored, never read
            raise AnswerError(f"none of the keys {keys} is in the answer")
        return answer

    def grade(self, answer: BaseModel | None) -> Score:
        truth = self._truth.model_dump()
        given = answer.model_dump() if isinstance(answer, Answers) else {}
        fields = {name: field_right(name, given.get(name), value) for name, value in truth.items()}
        return Score(self.metric, sum(fields.values()) / len(fields), self.target, fields)
