"""The analysis a model reaches for first runs in BOTH sandboxes: scanpy's standard clustering
(neighbors, then leiden, which needs igraph and leidenalg) works on a small AnnData."""

from pathlib import Path

import pytest

from ctxbench.sandbox import SandboxConfig, make_sandbox
from tests.sandbox_backends import backend_params

LEIDEN = """\
import anndata, numpy as np, scanpy as sc
rng = np.random.default_rng(0)
adata = anndata.AnnData(np.vstack([rng.normal(0, 1, (40, 10)), rng.normal(6, 1, (40, 10))]).astype("float32"))
sc.pp.neighbors(adata, n_neighbors=10, use_rep="X")
sc.tl.leiden(adata)  # as models write it: the leidenalg flavour
print(adata.obs["leiden"].nunique() >= 2)
"""


@pytest.mark.parametrize("backend", backend_params())
def test_scanpy_leiden_clusters_in_the_sandbox(backend, tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    with make_sandbox(SandboxConfig(backend=backend, cell_timeout_s=120), tmp_path / "work", data) as sandbox:
        result = sandbox.run_cell(LEIDEN)
    assert result.outcome == "ok" and result.stdout.strip().endswith("True"), result.render()
