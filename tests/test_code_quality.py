"""ruff, mypy and the import layers (import-linter) are part of the test command, so CI keeps them clean."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff():
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy():
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_imports_go_down_the_layers_and_never_in_cycles():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("ctxbench/events.py", "import ctxbench.runner", "ctxbench.events is not allowed to import ctxbench.runner"),
        ("ctxbench/tools.py", "if TYPE_CHECKING:\n    import ctxbench.episode", "ctxbench.tools is not allowed"),
        ("context_policies/base.py", "def f():\n    import benchmarks", "context_policies is not allowed"),
        ("ctxbench/llm/base.py", "import ctxbench.llm.openai_compat", "No cycles are allowed in ctxbench.llm"),
    ],
)
def test_an_upward_lazy_or_cyclic_import_breaks_the_contract(tmp_path, module, line, broken):
    for part in ("ctxbench", "context_policies", "benchmarks"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\nfrom typing import TYPE_CHECKING\n{line}\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0 and broken in result.stdout.replace("\n", " "), result.stdout
