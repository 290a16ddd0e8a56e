# Starter baseline (runs in the sandbox): the usual slips — the patient with the most cells of any
# tissue, "3.1-MT" left in the CD8 denominators, and one Treg subtype only.
import json
from pathlib import Path

import anndata

obs = anndata.read_h5ad("/data/wu2020_tcells.h5ad").obs.astype(str)
patient = obs["patient"].value_counts().index[0]
mine = obs[obs["patient"] == patient]
tumor, nat = mine[mine["source"] == "Tumor"], mine[mine["source"] == "NAT"]
answers = {
    "patient": patient,
    "tumor_cells": len(mine),
    "cd8_fraction_tumor": float(tumor["cluster_orig"].str.startswith("8.").mean()),
    "cd8_fraction_nat": float(nat["cluster_orig"].str.startswith("8.").mean()),
    "top_subtype_tumor": mine["cluster_orig"].value_counts().index[0],
    **{f"treg_fraction_{s.lower()}": float((obs[obs["source"] == s]["cluster_orig"] == "4.6a-Treg").mean())
       for s in ("Tumor", "NAT", "Blood")},
}  # fmt: skip
Path("/work/answers.json").write_text(json.dumps(answers))
