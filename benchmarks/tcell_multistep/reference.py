# Reference (runs in the sandbox): each question answered from adata.obs, in order.
import json
from pathlib import Path

import anndata

obs = anndata.read_h5ad("/data/wu2020_tcells.h5ad").obs.astype(str)
tumor = obs[obs["source"] == "Tumor"]
patient = tumor["patient"].value_counts().index[0]
mine = obs[obs["patient"] == patient]


def cd8_fraction(cells):
    lineage = cells["cluster_orig"].str[:2]
    return float((lineage[lineage.isin(["4.", "8."])] == "8.").mean())


def treg_fraction(source):
    return float(obs[obs["source"] == source]["cluster_orig"].isin(["4.6a-Treg", "4.6b-Treg"]).mean())


answers = {
    "patient": patient,
    "tumor_cells": int((tumor["patient"] == patient).sum()),
    "cd8_fraction_tumor": cd8_fraction(mine[mine["source"] == "Tumor"]),
    "cd8_fraction_nat": cd8_fraction(mine[mine["source"] == "NAT"]),
    "top_subtype_tumor": mine[mine["source"] == "Tumor"]["cluster_orig"].value_counts().index[0],
    "treg_fraction_tumor": treg_fraction("Tumor"),
    "treg_fraction_nat": treg_fraction("NAT"),
    "treg_fraction_blood": treg_fraction("Blood"),
}
Path("/work/answers.json").write_text(json.dumps(answers))
print(answers)
