# A trivial answer (runs in the sandbox): every cell in one cluster.
import anndata
import pandas as pd

adata = anndata.read_h5ad("/data/pbmc68k_unlabeled.h5ad")
pd.DataFrame({"cell_id": adata.obs_names, "cluster": 0}).to_csv("/work/clusters.csv", index=False)
