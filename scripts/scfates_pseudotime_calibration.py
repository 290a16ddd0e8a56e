"""Why there is no scFates pseudotime task: its calibration cannot tell a sound pipeline from a wrong one.

scFates 1.2.5's test trajectory (1,330 cells x 20 genes, the first genes of mouse chromosome 1, not
trajectory genes) carries scVelo's `latent_time`. With the time columns, `CytoTRACE` and every
embedding removed and the root cells named, this prints the Spearman correlation with `latent_time`
of sound pipelines (DPT from each named root cell, distance from the roots in PCA space) beside
known-wrong ones (DPT from the *end* points, from random cells, the file order). Measured: DPT from
the roots 0.38-0.62, from the end points 0.42-0.44, from 40 random cells 0.14 on average and up to
0.62: a grader on this truth would score running DPT from the wrong end as well as from the right
one, so the task was dropped (issue 17: "Drop a task whose calibration cannot separate sound
pipelines from trivial ones, and say so").

    .venv/bin/python scripts/scfates_pseudotime_calibration.py
"""

import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import bare_copy, read_h5ad
from benchmarks.wheel_data import wheel_dataset


def main() -> None:
    import scanpy as sc
    from scipy.stats import spearmanr

    warnings.filterwarnings("ignore")
    original = read_h5ad(wheel_dataset("scfates_test"))
    time = original.obs["latent_time"].to_numpy()
    roots = np.argsort(original.obs["root_cells"].to_numpy())[-3:]  # scFates' own root and end calls
    ends = np.argsort(original.obs["end_points"].to_numpy())[-3:]
    adata = bare_copy(original)  # X (log-normalised) and gene names only
    sc.pp.pca(adata, random_state=0)
    sc.pp.neighbors(adata, n_neighbors=30, random_state=0)
    sc.tl.diffmap(adata)

    def rho(values: np.ndarray) -> float:
        return float(spearmanr(values, time).statistic)

    def dpt_from(cell: int) -> float:
        adata.uns["iroot"] = int(cell)
        sc.tl.dpt(adata)
        return rho(adata.obs["dpt_pseudotime"].to_numpy())

    pca = adata.obsm["X_pca"]
    random_roots = [dpt_from(cell) for cell in np.random.default_rng(0).choice(adata.n_obs, 40, replace=False)]
    rows = [
        ("sound", "DPT from each named root cell", ", ".join(f"{dpt_from(cell):.3f}" for cell in roots)),
        ("sound", "distance from the roots in PCA space",
         f"{rho(np.linalg.norm(pca - pca[roots].mean(axis=0), axis=1)):.3f}"),
        ("wrong", "DPT from each end point", ", ".join(f"{dpt_from(cell):.3f}" for cell in ends)),
        ("wrong", "DPT from 40 random cells (mean, max)", f"{np.mean(random_roots):.3f}, {np.max(random_roots):.3f}"),
        ("wrong", "the original file order (why cells are shuffled)", f"{rho(np.arange(adata.n_obs)):.3f}"),
    ]  # fmt: skip
    print("Spearman correlation with scVelo latent_time, scFates test data (1,330 cells x 20 genes)")
    for kind, name, value in rows:
        print(f"  {kind:6} {name:52} {value}")


if __name__ == "__main__":
    main()
