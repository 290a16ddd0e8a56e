# A trivial answer (runs in the sandbox): the most common label for every held-out cell.
import anndata
import pandas as pd

adata = anndata.read_h5ad("/data/pbmc68k_heldout.h5ad")
labels = adata.obs["bulk_labels"]
heldout = adata.obs_names[labels.isna()]
pd.DataFrame({"cell_id": heldout, "label": labels.dropna().astype(str).mode()[0]}).to_csv(
    "/work/predictions.csv", index=False
)
