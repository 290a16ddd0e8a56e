# Starter baseline (runs in the sandbox): clonotypes by the beta chain's CDR3 alone.
import json
from pathlib import Path

import pandas as pd

contigs = pd.read_csv("/data/tcr_contigs.csv")
beta = contigs[(contigs["chain"] == "TRB") & (contigs["productive"].astype(str).str.lower() == "true")]
receptor = beta.groupby("barcode")["cdr3"].apply(lambda s: tuple(sorted(s)))
sizes = receptor.value_counts()
answer = {"n_clonotypes": int(sizes.size), "largest_size": int(sizes.iloc[0]), "largest_cdr3s": list(sizes.index[0])}
Path("/work/clonotypes.json").write_text(json.dumps(answer))
