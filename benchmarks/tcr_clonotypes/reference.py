# Reference (runs in the sandbox): cells grouped by the set of (chain, cdr3) of their productive contigs.
import json
from pathlib import Path

import pandas as pd

contigs = pd.read_csv("/data/tcr_contigs.csv")
productive = contigs[contigs["productive"].astype(str).str.lower() == "true"]
receptor = productive.groupby("barcode")[["chain", "cdr3"]].apply(lambda g: tuple(sorted(map(tuple, g.values))))
sizes = receptor.value_counts()
largest = sizes.index[0]
answer = {"n_clonotypes": int(sizes.size), "largest_size": int(sizes.iloc[0]),
          "largest_cdr3s": sorted({cdr3 for _, cdr3 in largest})}  # fmt: skip
Path("/work/clonotypes.json").write_text(json.dumps(answer))
print(answer)
