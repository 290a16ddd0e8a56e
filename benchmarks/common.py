"""Helpers the tasks share: bundled datasets, reading answer files, quiet AnnData I/O."""

import importlib.util
import json
import warnings
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from benchmarks.base import AnswerError, inside_workdir
from ctxbench.errors import HarnessError

ANNDATA_PRELOAD = ("anndata", "numpy as np", "pandas as pd", "scanpy as sc")

ANNDATA_PRIMER = """\
AnnData basics (anndata, scanpy):
- adata.obs is a pandas DataFrame with one row per cell; its index, adata.obs_names, holds the cell ids.
  adata.var has one row per gene (adata.var_names).
- adata.X is a cells x genes matrix (scipy.sparse.issparse(adata.X) says if .toarray() is needed);
  adata.obsm holds embeddings when the file has them (print(adata.obsm.keys()); sc.pp.pca(adata)
  adds adata.obsm["X_pca"]). Use numpy, pandas and sklearn on these arrays.
- scanpy (sc) works in place on adata: sc.pp.neighbors(adata), sc.tl.leiden(adata) -> adata.obs["leiden"],
  sc.tl.rank_genes_groups(adata, groupby="leiden"), sc.tl.diffmap(adata), sc.tl.dpt(adata) after
  setting adata.uns["iroot"] to a cell's position.
{answer_line}
"""


def scanpy_dataset(file_name: str) -> Path:
    """A file shipped in scanpy's wheel (located without importing scanpy, which is slow)."""
    spec = importlib.util.find_spec("scanpy")
    if spec is None or spec.origin is None:
        raise HarnessError("scanpy is not installed: its wheel ships the bundled datasets")
    path = Path(spec.origin).parent / "datasets" / file_name
    if not path.is_file():
        raise HarnessError(f"dataset not found: {path}")
    return path


def read_h5ad(path: Path) -> Any:
    import anndata

    if not path.is_file():
        raise HarnessError(f"dataset not found: {path}")
    with warnings.catch_warnings():  # notices about the old on-disk layout of bundled files
        warnings.simplefilter("ignore")
        return anndata.read_h5ad(path)


def read_answer_csv(workdir: Path, text: str, columns: list[str]) -> pd.DataFrame:
    """The CSV the agent named in its final answer, with the required columns (all as strings)."""
    name = text.strip().strip("`'\"")
    if not name:
        raise AnswerError(f"empty answer: write a CSV with columns {','.join(columns)} and submit its name")
    path = inside_workdir(workdir, name)
    try:
        frame = pd.read_csv(path, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, IsADirectoryError) as exc:
        raise AnswerError(f"could not read {path.name} as CSV: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing and len(frame.columns) == len(columns) and not set(frame.columns) & set(columns):
        # Written without its header row (the first cell's values read as column names): the content
        # is not in doubt, and a grade is of the analysis, not of a forgotten header.
        frame = pd.read_csv(path, dtype=str, header=None, names=columns)
        missing = []
    if missing:
        raise AnswerError(f"{path.name} needs columns {','.join(columns)}; found {list(frame.columns)}")
    if frame.empty:
        # a cell that failed after opening the file leaves its header alone; accepted, it scored 0
        # and ended two of the 0.5B's ladder episodes (autosubmit) with steps to spare
        raise AnswerError(f"{path.name} has its header ({','.join(columns)}) and no rows: write one row for each")
    return frame.dropna(subset=[columns[0]])


def read_answer_file(workdir: Path, name: str) -> str:
    """The text of the file under /work an answer names; a name that is empty, outside /work, a
    folder or unreadable is an answer error, never a crash of the grader."""
    if not name.strip():
        raise AnswerError("empty answer")
    try:
        return inside_workdir(workdir, name).read_text(errors="replace")
    except OSError as exc:  # a folder, a name too long for the filesystem, ...
        raise AnswerError(f"could not read {name!r}: {exc.strerror or exc}") from None


def read_answer_json(workdir: Path, text: str, expected: str) -> dict[str, Any]:
    """The JSON object an answer gives inline or names as a file in /work; anything else is an
    answer error that starts with what was `expected`."""
    text = text.strip().strip("`'\"")
    raw = text if text.startswith("{") else read_answer_file(workdir, text)
    try:
        given = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"{expected}: {exc}") from None
    if not isinstance(given, dict):
        raise AnswerError(f"{expected}, not a JSON {type(given).__name__}")
    return given


Answer = TypeVar("Answer", bound=BaseModel)


def read_answer_model(workdir: Path, text: str, model: type[Answer], expected: str) -> Answer:
    """read_answer_json, validated by the task's answer schema."""
    try:
        return model.model_validate(read_answer_json(workdir, text, expected))
    except ValidationError as exc:
        raise AnswerError(f"{expected}: {exc}") from None


def numeric_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as floats; any value that is not a number is an answer error."""
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any():
        raise AnswerError(f"every {column} must be a number (class labels as integers)")
    return values.astype(float)


def data_folder(workspace: Path) -> Path:
    """The folder mounted read-only at /data in the sandbox (created)."""
    folder = workspace / "data"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_h5ad(adata: Any, workspace: Path, name: str) -> Path:
    """Writes the AnnData the agent sees into the data folder; returns the folder."""
    folder = data_folder(workspace)
    adata.write_h5ad(folder / name)
    return folder


def shuffled_cells(adata: Any, seed: int) -> tuple[Any, list[str]]:
    """A copy of `adata` with its cells in a seeded random order and renamed cell_0000, ...; and,
    for each new cell, its old name. Row order and barcodes can carry what a task hides (a file
    sorted by time; a barcode naming the sample), so an agent's copy keeps neither."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(adata.n_obs)
    copy = adata[order].copy()
    old_names = list(copy.obs_names)
    copy.obs_names = [f"cell_{i:04d}" for i in range(copy.n_obs)]
    return copy, old_names


def bare_copy(adata: Any) -> Any:
    """Only X and the gene names: every annotation (obs and var columns, embeddings, uns, layers,
    raw) is dropped, so nothing beside the expression can stand in for a hidden truth."""
    import anndata

    return anndata.AnnData(adata.X.copy(), obs=pd.DataFrame(index=adata.obs_names.copy()),
                           var=pd.DataFrame(index=adata.var_names.copy()))  # fmt: skip
