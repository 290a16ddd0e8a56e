# Reference (runs in the sandbox): Wilcoxon rank-sum test of each type against the rest (scanpy).
import anndata
import pandas as pd
import scanpy as sc

TYPES = ["CD14+ Monocyte", "CD19+ B", "CD56+ NK", "Dendritic"]
adata = anndata.read_h5ad("/data/pbmc68k_labeled.h5ad")
sc.tl.rank_genes_groups(adata, "bulk_labels", method="wilcoxon", use_raw=True)
names = pd.DataFrame(adata.uns["rank_genes_groups"]["names"])
rows = [(t, g) for t in TYPES for g in names[t][:10]]
pd.DataFrame(rows, columns=["cell_type", "gene"]).to_csv("/work/markers.csv", index=False)
