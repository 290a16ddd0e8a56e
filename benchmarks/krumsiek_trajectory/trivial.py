# A trivial answer (runs in the sandbox): the order of the file.
import anndata
import pandas as pd

adata = anndata.read_h5ad("/data/krumsiek11_shuffled.h5ad")
pd.DataFrame({"cell_id": adata.obs_names, "pseudotime": range(adata.n_obs)}).to_csv("/work/pseudotime.csv", index=False)
