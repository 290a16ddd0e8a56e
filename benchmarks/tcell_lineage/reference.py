# Reference (runs in the sandbox): normalise, log-transform, and compare scores of broad CD8 and CD4
# marker sets (sc.tl.score_genes) per cell.
import anndata
import pandas as pd
import scanpy as sc

adata = anndata.read_h5ad("/data/wu2020_counts.h5ad")
sc.pp.normalize_total(adata, target_sum=1e4)
sc.pp.log1p(adata)
cd8 = ["CD8A", "CD8B", "GZMK", "GZMA", "CCL5", "NKG7", "CST7", "GZMH"]
cd4 = ["CD4", "IL7R", "CD40LG", "FOXP3", "IL2RA", "CTLA4", "TNFRSF4", "ICOS"]
sc.tl.score_genes(adata, cd8, score_name="cd8", random_state=0)
sc.tl.score_genes(adata, cd4, score_name="cd4", random_state=0)
lineage = (adata.obs["cd8"] > adata.obs["cd4"]).map({True: "CD8", False: "CD4"})
pd.DataFrame({"cell_id": adata.obs_names, "lineage": lineage.values}).to_csv("/work/lineage.csv", index=False)
print(lineage.value_counts())
