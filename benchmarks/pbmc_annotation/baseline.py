# Starter baseline (runs in the sandbox): each held-out cell gets the majority label of its louvain cluster.
import anndata
import pandas as pd

adata = anndata.read_h5ad("/data/pbmc68k_heldout.h5ad")
obs = adata.obs
labeled = obs["bulk_labels"].notna()
majority = obs[labeled].groupby("louvain", observed=True)["bulk_labels"].agg(lambda s: s.astype(str).mode()[0])
fallback = obs.loc[labeled, "bulk_labels"].astype(str).mode()[0]
heldout = obs[~labeled]
labels = heldout["louvain"].map(majority).astype(object).fillna(fallback)
pd.DataFrame({"cell_id": heldout.index, "label": labels.values}).to_csv("/work/predictions.csv", index=False)
print(f"wrote {len(heldout)} predictions")
