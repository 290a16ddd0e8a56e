# Reference (runs in the sandbox): scanpy's phase rule applied to the stored scores.
import json
from pathlib import Path

import anndata
import numpy as np

adata = anndata.read_h5ad("/data/pbmc68k_no_phase.h5ad")
s, g2m = adata.obs["S_score"].values, adata.obs["G2M_score"].values
phase = np.where((s < 0) & (g2m < 0), "G1", np.where(g2m > s, "G2M", "S"))
fractions = {p: float(np.mean(phase == p)) for p in ("G1", "S", "G2M")}
Path("/work/phases.json").write_text(json.dumps(fractions))
print(fractions)
