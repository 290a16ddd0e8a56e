# A trivial answer (runs in the sandbox): the first patient listed, and a quarter for every share, without analysis.
import json
from pathlib import Path

import anndata

obs = anndata.read_h5ad("/data/wu2020_tcells.h5ad").obs.astype(str)
answers = {"patient": sorted(obs["patient"].unique())[0], "tumor_cells": 0, "cd8_fraction_tumor": 0.25,
           "cd8_fraction_nat": 0.25, "top_subtype_tumor": "4.4-FOS", "treg_fraction_tumor": 0.25,
           "treg_fraction_nat": 0.25, "treg_fraction_blood": 0.25}  # fmt: skip
Path("/work/answers.json").write_text(json.dumps(answers))
