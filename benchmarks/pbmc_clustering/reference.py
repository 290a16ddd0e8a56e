# Reference (runs in the sandbox): Ward clustering of the first 30 PCs into 8 clusters.
import anndata
import pandas as pd
from sklearn.cluster import AgglomerativeClustering

adata = anndata.read_h5ad("/data/pbmc68k_unlabeled.h5ad")
labels = AgglomerativeClustering(n_clusters=8, linkage="ward").fit_predict(adata.obsm["X_pca"][:, :30])
pd.DataFrame({"cell_id": adata.obs_names, "cluster": labels}).to_csv("/work/clusters.csv", index=False)
