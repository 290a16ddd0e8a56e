# A trivial answer (runs in the sandbox): every cell CD4.
import anndata
import pandas as pd

adata = anndata.read_h5ad("/data/wu2020_counts.h5ad")
pd.DataFrame({"cell_id": adata.obs_names, "lineage": "CD4"}).to_csv("/work/lineage.csv", index=False)
