# A trivial answer (runs in the sandbox): every cell its own clonotype.
import json
from pathlib import Path

import pandas as pd

n_cells = pd.read_csv("/data/tcr_contigs.csv")["barcode"].nunique()
Path("/work/clonotypes.json").write_text(json.dumps({"n_clonotypes": n_cells, "largest_size": 1, "largest_cdr3s": []}))
