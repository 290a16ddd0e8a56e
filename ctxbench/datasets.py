"""Local datasets: `datasets/<name>/data.h5ad` plus `metadata.json`, from CELLxGENE Census downloads
(scripts/czi_browser.py) or imported local files (scripts/import_dataset.py). Tasks use them through
their `source_h5ad` parameter."""

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from ctxbench.errors import HarnessError

DATASETS_DIR = Path("datasets")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def describe_h5ad(path: Path) -> dict[str, Any]:
    """Shape and annotation columns, read in backed mode (the matrix is not loaded)."""
    import anndata

    try:
        adata = anndata.read_h5ad(path, backed="r")
    except Exception as exc:  # h5py/anndata raise many kinds for a file that is not an AnnData
        raise HarnessError(f"{path} is not a readable .h5ad file: {exc}") from None
    try:
        obs = {c: int(adata.obs[c].nunique()) for c in adata.obs.columns}
        return {"n_obs": int(adata.n_obs), "n_vars": int(adata.n_vars), "obs_columns": obs,
                "obsm": list(adata.obsm.keys()), "has_raw": adata.raw is not None}  # fmt: skip
    finally:
        adata.file.close()


def add_dataset(
    source: Path, name: str, metadata: dict[str, Any], root: Path = DATASETS_DIR, move: bool = False
) -> Path:
    """Copies (or moves) an .h5ad into root/name/ with its metadata JSON; never overwrites."""
    if not source.is_file():
        raise HarnessError(f"no such file: {source}")
    folder = root / name
    if folder.exists():
        raise HarnessError(f"dataset {name!r} already exists in {root}; choose another name")
    description = describe_h5ad(source)
    folder.mkdir(parents=True)
    target = folder / "data.h5ad"
    (shutil.move if move else shutil.copyfile)(source, target)
    record = {"name": name, **metadata, **description, "sha256": sha256_of(target), "file": str(target),
              "added_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
    (folder / "metadata.json").write_text(json.dumps(record, indent=2))
    return target


def list_datasets(root: Path = DATASETS_DIR) -> list[dict[str, Any]]:
    records = []
    for meta in sorted(root.glob("*/metadata.json")):
        try:
            records.append(json.loads(meta.read_text()))
        except json.JSONDecodeError:
            records.append({"name": meta.parent.name, "error": "unreadable metadata.json"})
    return records
