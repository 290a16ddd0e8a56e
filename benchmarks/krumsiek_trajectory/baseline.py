# Starter baseline (runs in the sandbox): Euclidean distance from the root cell.
import anndata
import numpy as np
import pandas as pd

adata = anndata.read_h5ad("/data/krumsiek11_shuffled.h5ad")
root = adata[adata.uns["root_cell"]].X
distance = np.linalg.norm(adata.X - root, axis=1)
pd.DataFrame({"cell_id": adata.obs_names, "pseudotime": distance}).to_csv("/work/pseudotime.csv", index=False)
