# A trivial answer (runs in the sandbox): the first 10 genes of the file for every type.
import anndata
import pandas as pd

TYPES = ["CD14+ Monocyte", "CD19+ B", "CD56+ NK", "Dendritic"]
adata = anndata.read_h5ad("/data/pbmc68k_labeled.h5ad")
rows = [(t, g) for t in TYPES for g in adata.raw.var_names[:10]]
pd.DataFrame(rows, columns=["cell_type", "gene"]).to_csv("/work/markers.csv", index=False)
