"""Local datasets (import, metadata, use by a task) and the Census browser's offline behaviour."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import make_task
from benchmarks.common import read_h5ad, scanpy_dataset
from benchmarks.pbmc_annotation.task import AnnotationAnswer, PbmcAnnotationConfig

ROOT = Path(__file__).resolve().parent.parent


def script(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture
def small_h5ad(tmp_path: Path) -> Path:
    adata = read_h5ad(scanpy_dataset("10x_pbmc68k_reduced.h5ad"))[:300].copy()
    adata.obs = adata.obs.rename(columns={"bulk_labels": "celltype"}).drop(columns=["louvain"])
    path = tmp_path / "mine.h5ad"
    adata.write_h5ad(path)
    return path


def test_import_writes_data_and_metadata_and_never_overwrites(small_h5ad, tmp_path):
    run = script(str(ROOT / "scripts/import_dataset.py"), str(small_h5ad), "--name", "mine", "--label-key",
                 "celltype", cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    meta = json.loads((tmp_path / "datasets/mine/metadata.json").read_text())
    assert (meta["n_obs"], meta["n_vars"], meta["label_key"], meta["source"]) == (300, 765, "celltype", "local")
    assert meta["obs_columns"]["celltype"] == 10 and len(meta["sha256"]) == 64
    again = script(str(ROOT / "scripts/import_dataset.py"), str(small_h5ad), "--name", "mine", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr and "Traceback" not in again.stderr
    listed = script(str(ROOT / "scripts/czi_browser.py"), "local", cwd=tmp_path)
    assert listed.returncode == 0 and listed.stdout.startswith("mine") and "300 cells" in listed.stdout


def test_import_rejects_bad_input(small_h5ad, tmp_path):
    (tmp_path / "not.h5ad").write_text("hello")
    bad = script(str(ROOT / "scripts/import_dataset.py"), str(tmp_path / "not.h5ad"), "--name", "x", cwd=tmp_path)
    assert bad.returncode == 2 and "not a readable .h5ad" in bad.stderr
    missing = script(str(ROOT / "scripts/import_dataset.py"), str(small_h5ad), "--name", "y", "--label-key", "nope",
                     cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 2 and "is not an obs column" in missing.stderr


def test_annotation_task_runs_on_an_imported_dataset(small_h5ad, tmp_path):
    config = PbmcAnnotationConfig(source_h5ad=small_h5ad, label_key="celltype", title="my cells")
    task = make_task(config, seed=3)
    prepared = task.prepare(tmp_path / "task")
    assert "(my cells)" in prepared.prompt and "adata.obs['celltype']" in prepared.prompt
    truth = task._truth
    assert len(truth) == 60
    perfect = task.grade(AnnotationAnswer(predictions=truth.to_dict()))
    assert perfect.value == 1.0
    with pytest.raises(Exception, match="label column 'bulk_labels' not in"):
        make_task(PbmcAnnotationConfig(source_h5ad=small_h5ad), seed=0).prepare(tmp_path / "t2")


@pytest.mark.parametrize("command", [["versions"], ["datasets", "--limit", "3"], ["download", "abc"]])
def test_census_browser_fails_clearly_without_network(tmp_path, command):
    run = script(str(ROOT / "scripts/czi_browser.py"), *command, cwd=tmp_path)
    if run.returncode == 0:  # a machine with network access: the real API answered
        assert run.stdout
        return
    assert run.returncode == 2
    assert "CELLxGENE Census unreachable" in run.stderr and "needs the network" in run.stderr
    assert "Traceback" not in run.stderr
