"""Marker genes: for named PBMC types, the agent reports its top-K marker genes; scored by
precision@K against canonical markers (those present among the dataset's 765 genes)."""

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from benchmarks.base import TASKS, AnswerError, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import ANNDATA_PRELOAD, ANNDATA_PRIMER, read_answer_csv, read_h5ad, scanpy_dataset, write_h5ad

DATA_FILE = "pbmc68k_labeled.h5ad"
# Canonical markers from the PBMC literature (10x/Seurat PBMC tutorials, CellMarker, PanglaoDB).
CANONICAL = {
    "CD14+ Monocyte": "CD14 LYZ S100A8 S100A9 S100A12 FCN1 CST3 TYROBP FCER1G LGALS2 CD68 MNDA VCAN CSF1R "
    "LGALS3 CTSS FTL SERPINA1 AIF1 LST1",
    "CD19+ B": "CD79A CD79B MS4A1 CD19 CD74 HLA-DRA HLA-DQA1 HLA-DQB1 TCL1A BANK1 CD22 IGHM VPREB3 FCER2 "
    "LINC00926 HLA-DRB1 HLA-DPA1 HLA-DPB1 CD37 IGHD",
    "CD56+ NK": "GNLY NKG7 GZMB GZMA PRF1 KLRD1 KLRF1 CST7 CTSW FCGR3A GZMH NCAM1 HOPX CD247 SPON2 FGFBP2 "
    "KLRB1 CCL5 CCL4 XCL2",
    "Dendritic": "FCER1A CST3 CLEC10A CD1C HLA-DQA1 HLA-DPB1 HLA-DRA LGALS2 SERPINF1 IRF8 ITM2C PLD4 LILRA4 "
    "CLEC4C TCF4 GZMB",
}

PROMPT = """\
Task: find marker genes of cell types in a single-cell RNA-seq dataset (10x PBMCs).

Data: /data/{data_file}, an AnnData file with {n_cells} cells x {n_genes} genes. Load it with:
    import anndata
    adata = anndata.read_h5ad("/data/{data_file}")
adata.obs['bulk_labels'] is the cell type; adata.raw holds log-normalized expression of all genes.

For each of these cell types: {types}
report the {k} genes that best mark it against the other cells. A standard way:
sc.tl.rank_genes_groups(adata, 'bulk_labels') ranks the genes of every type against the rest;
adata.uns['rank_genes_groups']['names'][cell_type] then lists them, best first.

Answer: write /work/markers.csv with header `cell_type,gene` and one gene per row (`<cell type>,<gene symbol>`;
at most {k} rows per type, best first), then reply: FINAL_ANSWER: markers.csv

Grading, done by the harness after you submit (the canonical marker lists are hidden from you, so you
cannot compute it yourself): precision@{k}, averaged over the types; a good answer reaches {target}.
"""


class PbmcMarkersConfig(TaskConfig):
    name: Literal["pbmc_markers"] = "pbmc_markers"
    k: int = Field(10, ge=1, le=50)
    target_precision: float = Field(0.45, gt=0, le=1)


class MarkersAnswer(BaseModel):
    markers: dict[str, list[str]]


@TASKS.register("pbmc_markers")
class PbmcMarkers(Task):
    config_class = PbmcMarkersConfig
    metric = "precision_at_k"
    description = "top-K marker genes of 4 PBMC types; precision@K against canonical markers"
    folder = Path(__file__).parent
    sources = (("scanpy", "datasets/10x_pbmc68k_reduced.h5ad"),)
    answer_text = "markers.csv"
    target_text = "precision@10 >= 0.45"
    config: PbmcMarkersConfig
    primer = ANNDATA_PRIMER
    preload = ANNDATA_PRELOAD
    clarifications: ClassVar[dict[str, str]] = {
        "genes|gene|names|symbols|var": "Use the gene symbols of adata.raw.var_names.",
        "metric|score|precision|scored": "Precision@K: the share of your K genes per type that are canonical markers.",
    }

    @property
    def target(self) -> float:
        return self.config.target_precision

    def prepare(self, workspace: Path) -> PreparedTask:
        adata = read_h5ad(scanpy_dataset("10x_pbmc68k_reduced.h5ad"))
        adata.uns.pop("rank_genes_groups", None)  # the answer, precomputed
        genes = set(adata.raw.var_names)
        self._genes = genes  # the agent's own gene list (check_schema)
        self._markers = {t: set(m.split()) & genes for t, m in CANONICAL.items()}
        data_dir = write_h5ad(adata, workspace, DATA_FILE)
        prompt = PROMPT.format(
            data_file=DATA_FILE, n_cells=adata.n_obs, n_genes=adata.n_vars, types="; ".join(CANONICAL),
            k=self.config.k, target=self.target,
        )  # fmt: skip
        return PreparedTask(prompt=prompt, data_dir=data_dir)

    def parse_answer(self, text: str, workdir: Path) -> MarkersAnswer:
        frame = read_answer_csv(workdir, text, ["cell_type", "gene"])
        rows: dict[str, list[str]] = {}
        for cell_type, gene in zip(frame["cell_type"].fillna(""), frame["gene"].fillna(""), strict=True):
            rows.setdefault(cell_type.strip(), []).append(gene.strip())
        k = self.config.k
        crowded = {t: len(genes) for t, genes in rows.items() if len(genes) > k}
        if crowded:
            raise AnswerError(f"at most {k} rows per cell type; found {crowded}")
        answer = MarkersAnswer(markers={t: distinct(genes) for t, genes in rows.items()})
        self.check_schema(answer)
        return answer

    def check_schema(self, answer: MarkersAnswer) -> None:
        """What the prompt already tells the agent, checked before grading so a file whose gene
        column holds a printed list (`['FTL' 'AIF1' ...]`, one row per type) is sent back to be fixed
        rather than scored 0: every gene is a symbol of adata.raw.var_names, every type one asked for."""
        strange = sorted(set(answer.markers) - set(CANONICAL))
        if strange:
            raise AnswerError(f"cell_type must be one of: {'; '.join(CANONICAL)}; found {strange[:3]}")
        unknown = [g for genes in answer.markers.values() for g in genes if g not in self._genes]
        if unknown:
            shown = [gene[:40] for gene in unknown[:3]]
            raise AnswerError(
                f"{len(unknown)} gene name(s) are not genes of adata.raw.var_names, e.g. {shown}; "
                "write one gene symbol per row"
            )

    def grade(self, answer: BaseModel | None) -> Score:
        reported = answer.markers if isinstance(answer, MarkersAnswer) else {}
        k = self.config.k
        # Precision@K with K fixed: fewer than K genes cannot raise the score, nor can one gene listed
        # many times (counted once), nor more than K genes (only the first K count).
        per_type = {
            t: sum(g in canon for g in distinct(reported.get(t, []))[:k]) / k for t, canon in self._markers.items()
        }
        value = sum(per_type.values()) / len(per_type)
        return Score(self.metric, value, self.target, {"precision_at_k": value, **per_type})


def distinct(genes: list[str]) -> list[str]:
    """Each gene once (the first time it is listed), empty names dropped."""
    return list(dict.fromkeys(g for g in genes if g))
