"""The bubblewrap session against real bubblewrap: persistence, limits, isolation, recovery."""

from pathlib import Path

import pytest

from ctxbench.sandbox import SandboxConfig, make_sandbox
from tests.conftest import needs_bwrap

pytestmark = needs_bwrap


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "input.txt").write_text("hello data")
    return data


@pytest.fixture
def sandbox(tmp_path: Path, data_dir: Path):
    config = SandboxConfig(cell_timeout_s=2, kill_grace_s=2, output_limit_chars=500, memory_mb=1024, max_procs=32)
    with make_sandbox(config, tmp_path / "ep" / "work", data_dir) as box:
        yield box


def test_variables_persist_between_cells(sandbox):
    assert sandbox.run_cell("x = 40").outcome == "ok"
    result = sandbox.run_cell("x + 2")
    assert (result.outcome, result.stdout.strip()) == ("ok", "42")


def test_error_is_an_outcome_with_the_cells_traceback(sandbox):
    result = sandbox.run_cell("def f():\n    return 1 / 0\nf()")
    assert result.outcome == "error"
    assert "<cell-1>" in result.error and "ZeroDivisionError" in result.error
    assert sandbox.run_cell("print('still here')").stdout == "still here\n"


def test_timeout_interrupts_and_keeps_the_session(sandbox):
    sandbox.run_cell("kept = 1")
    result = sandbox.run_cell("while True:\n    pass")
    assert result.outcome == "timeout"
    assert "TimeoutError" in result.error
    assert sandbox.run_cell("kept").stdout.strip() == "1"


def test_cell_that_ignores_its_timeout_is_killed_and_session_restarts(sandbox):
    sandbox.run_cell("lost = 1")
    result = sandbox.run_cell(
        "import signal, time\nsignal.signal(signal.SIGALRM, lambda *a: None)\nwhile True:\n    time.sleep(0.05)"
    )
    assert result.outcome == "killed" and result.restarted
    assert "restarted" in result.render()
    after = sandbox.run_cell("lost")
    assert after.outcome == "error" and "NameError" in after.error


def test_crash_restarts_the_session(sandbox):
    result = sandbox.run_cell("import os\nos._exit(3)")
    assert result.outcome == "crashed" and result.restarted
    assert sandbox.run_cell("print('up')").stdout == "up\n"


def test_output_is_truncated_and_counted(sandbox):
    result = sandbox.run_cell("print('a' * 10_000)\nimport os\n_ = os.write(1, b'b' * 10_000)")
    assert len(result.stdout) == 500
    assert result.truncated_chars == 10_001 + 10_000 - 500
    assert "more characters not shown" in result.render()


def test_no_network(sandbox):
    result = sandbox.run_cell("import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)")
    assert result.outcome == "error"
    assert "Network is unreachable" in result.error or "OSError" in result.error


def test_data_is_read_only_and_work_dir_is_writable(sandbox):
    assert sandbox.run_cell("open('/data/input.txt').read()").stdout.strip() == "'hello data'"
    denied = sandbox.run_cell("open('/data/new.txt', 'w')")
    assert denied.outcome == "error" and "Read-only file system" in denied.error
    assert sandbox.run_cell("open('/work/out.txt', 'w').write('x')").outcome == "ok"
    assert (sandbox.workdir / "out.txt").read_text() == "x"


def test_host_files_are_not_visible(sandbox):
    repo_root = Path(__file__).resolve().parent.parent
    result = sandbox.run_cell(f"import os\nprint(os.path.exists({str(repo_root)!r}), os.path.exists('/root'))")
    assert result.stdout.strip() == "False False"


def test_memory_and_process_limits(sandbox):
    memory = sandbox.run_cell("bytearray(2 * 1024**3)")  # past memory_mb: killed by the session's cgroup
    assert memory.outcome in {"error", "crashed"} and (memory.restarted or "MemoryError" in (memory.error or ""))
    procs = sandbox.run_cell(
        "import subprocess\nps = []\ntry:\n    for _ in range(100):\n"
        "        ps.append(subprocess.Popen(['sleep', '3']))\n"
        "except OSError as e:\n    print('limited at', len(ps))\nfor p in ps:\n    p.kill()"
    )
    assert "limited at" in procs.stdout


def test_stdin_reads_do_not_block_the_session(sandbox):
    result = sandbox.run_cell("input()")
    assert result.outcome == "error" and "EOFError" in result.error
