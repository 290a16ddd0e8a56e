import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import make_task
from benchmarks.pbmc_annotation.task import PbmcAnnotationConfig
from ctxbench.llm.catalog import DEFAULT as DEFAULT_MODEL

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap not installed")
SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load_script(name: str):
    """A module of scripts/ (not a package), loaded from its file."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Spans of any test episode (and of the run_bench.py processes tests start, which inherit this) go
# to a Phoenix project of the tests, never to the user's own `ctxbench` project.
os.environ["CTXBENCH_PHOENIX_PROJECT"] = "ctxbench-tests"


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


def server_outlives_killed_holder(program: str, argument: str) -> bool:
    """Runs `program` (it starts a server and prints the server's pid), kills it with SIGKILL, so
    that no cleanup code of the harness runs, and says whether the server was still alive 10 s
    later (a survivor is killed)."""
    holder = subprocess.Popen([sys.executable, "-c", program, argument], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parent.parent)  # fmt: skip
    server_pid = int(holder.stdout.readline())
    holder.kill()
    holder.wait()
    for _ in range(50):
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.2)
    os.kill(server_pid, signal.SIGKILL)
    return True
