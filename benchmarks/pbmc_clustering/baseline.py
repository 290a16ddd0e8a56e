# Starter baseline (runs in the sandbox): k-means with 3 clusters on 2 PCs.
import anndata
import pandas as pd
from sklearn.cluster import KMeans

adata = anndata.read_h5ad("/data/pbmc68k_unlabeled.h5ad")
labels = KMeans(n_clusters=3, n_init=10, random_state=0).fit_predict(adata.obsm["X_pca"][:, :2])
pd.DataFrame({"cell_id": adata.obs_names, "cluster": labels}).to_csv("/work/clusters.csv", index=False)
