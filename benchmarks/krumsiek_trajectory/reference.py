# Reference (runs in the sandbox): diffusion pseudotime (scanpy DPT) from the given root.
import anndata
import pandas as pd
import scanpy as sc

adata = anndata.read_h5ad("/data/krumsiek11_shuffled.h5ad")
sc.pp.neighbors(adata, n_neighbors=15, use_rep="X")
sc.tl.diffmap(adata)
adata.uns["iroot"] = list(adata.obs_names).index(adata.uns["root_cell"])
sc.tl.dpt(adata)
pd.DataFrame({"cell_id": adata.obs_names, "pseudotime": adata.obs["dpt_pseudotime"]}).to_csv(
    "/work/pseudotime.csv", index=False
)
