"""How the sandbox's kernel reports a cell's error to the model (in-process: no sandbox needed)."""

import sys
import types

import pytest

from ctxbench.sandbox.kernel_main import run_cell


@pytest.fixture
def silent_library(monkeypatch):
    """A module whose __getattr__ raises a bare AttributeError, as scanpy's does."""
    module = types.ModuleType("silentlib")
    exec("def __getattr__(name):\n    raise AttributeError\n", module.__dict__)
    exec("class Thing:\n    def __getattr__(self, name):\n        raise AttributeError\n", module.__dict__)
    monkeypatch.setitem(sys.modules, "silentlib", module)
    return module


def test_a_bare_attribute_error_from_a_module_names_what_was_missing(silent_library):
    error = run_cell("import silentlib\nsilentlib.get_rank_genes_groups(1)", {"__name__": "__main__"}, 1)
    assert error is not None
    assert error.splitlines()[-1] == "AttributeError: module 'silentlib' has no attribute 'get_rank_genes_groups'"
    assert "<cell-1>" in error  # the cell's own frame is still shown


def test_a_bare_attribute_error_from_an_object_names_its_type_and_attribute(silent_library):
    error = run_cell("import silentlib\nsilentlib.Thing().fit", {"__name__": "__main__"}, 2)
    assert error is not None and error.splitlines()[-1] == "AttributeError: 'Thing' object has no attribute 'fit'"


def test_errors_with_a_message_are_left_as_they_are():
    error = run_cell("import math\nmath.nothing_here", {"__name__": "__main__"}, 3)
    assert error is not None
    assert error.splitlines()[-1] == "AttributeError: module 'math' has no attribute 'nothing_here'"
    raised = run_cell("raise AttributeError", {"__name__": "__main__"}, 4)
    assert raised is not None and raised.splitlines()[-1] == "AttributeError"  # no __getattr__: nothing to add


def test_an_attribute_error_whose_message_cannot_be_read_is_still_reported():
    code = (
        "class Broken(AttributeError):\n"
        "    def __str__(self):\n"
        "        raise RuntimeError('no')\n"
        "class Thing:\n"
        "    def __getattr__(self, name):\n"
        "        raise Broken\n"
        "Thing().x"
    )
    error = run_cell(code, {"__name__": "__main__"}, 5)
    assert error is not None and "Broken" in error.splitlines()[-1]
