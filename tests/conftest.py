import shutil
from pathlib import Path

import pytest

from benchmarks import make_task
from benchmarks.pbmc_annotation.task import PbmcAnnotationConfig
from ctxbench.llm.catalog import DEFAULT as DEFAULT_MODEL

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")


@pytest.fixture(scope="session")
def pbmc_task(tmp_path_factory: pytest.TempPathFactory):
    """The pbmc annotation task, prepared once per test session (seed 0)."""
    task = make_task(PbmcAnnotationConfig(), seed=0)
    prepared = task.prepare(tmp_path_factory.mktemp("pbmc") / "task")
    return task, prepared


@pytest.fixture(scope="session")
def local_model_path() -> Path:
    path = DEFAULT_MODEL.path
    if not path.is_file():
        pytest.fail(f"{path} missing: run scripts/setup.sh (the local-model tests must run, not skip)")
    return path
