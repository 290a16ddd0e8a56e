"""Each scaffolding piece does what it says, and only when switched on."""

import pytest

from ctxbench.modes.scaffold import RepeatGuard, error_summary, exception_line, failure_of
from ctxbench.runner import run_episode
from ctxbench.sandbox.base import CellResult
from ctxbench.tracing.jsonl import read_trace
from tests.conftest import needs_bwrap
from tests.test_episode_scripted import code, make_config

pytestmark = needs_bwrap
FAILING = code("import numpy as np\nnp.zeros(3).reshape(2, 2)")
REPLIES = [FAILING, FAILING, code("print('fixed')"), "FINAL_ANSWER: nothing"]


def failed_cell(error):
    return CellResult(outcome="error", stdout="", stderr="", error=error, duration_s=0.1)


def run(tmp_path, **scaffold):
    return run_episode(make_config(tmp_path, REPLIES, scaffold=scaffold, budget={"max_steps": 3}))


def events(result, kind):
    return [e for e in read_trace(result.trace_path) if e["type"] == kind]


def test_without_scaffolding_a_repeated_failure_runs_again(tmp_path):
    result = run(tmp_path)
    assert result.totals.cells == 3 and result.totals.failed_cells == 2
    assert all(c["temperature"] is None for c in events(result, "llm_call"))
    assert "Example (another task)" not in events(result, "llm_call")[0]["messages"][0]["content"]


def test_repeat_guard_does_not_rerun_a_failed_reply(tmp_path):
    result = run(tmp_path, repeat_guard=True)
    assert (result.totals.cells, result.totals.failed_cells) == (2, 1)
    (note,) = [f for f in events(result, "feedback") if f["kind"] == "repeated"]
    assert "same as your reply at step 1, which failed" in note["message"]
    assert "ValueError: cannot reshape array of size 3 into shape (2,2)" in note["message"]
    replies = [e["content"] for e in events(result, "event") if e["kind"] == "assistant"]
    assert replies == [FAILING, REPLIES[2]]  # the repeat keeps no turn: neither a copy nor a placeholder to imitate
    last_context = events(result, "llm_call")[2]["messages"]
    assert [m["role"] for m in last_context][-3:] == ["assistant", "user", "user"]  # code, its error, the note
    assert last_context[-1]["content"].startswith("Your last reply was the same as your reply at step 1")
    assert events(result, "llm_call")[1]["reply"]["text"] == FAILING  # the trace keeps what was said


def test_repeat_guard_tells_native_tool_calls_apart_and_answers_a_repeat_by_its_id(tmp_path):
    """A native call's text is empty: keyed on the text, every call would be "the same reply". Seen
    with the 0.5B: one run_python call sent again and again after it had printed the answer."""

    def call(code_text):
        return {"tool_calls": [{"name": "run_python", "arguments": {"code": code_text}}]}

    replies = [call("print(6 * 7)"), call("print(7 * 7)"), call("print(6  *  7)"), call("print(1)")]
    result = run_episode(make_config(tmp_path, replies, tool_protocol="native", scaffold={"repeat_guard": True},
                                     budget={"max_steps": 4}))  # fmt: skip
    assert result.totals.cells == 3  # the third call (the first again) did not run
    (note,) = [f for f in events(result, "feedback") if f["kind"] == "repeated"]
    assert "same as your reply at step 1, which already ran (its output began: 42)" in note["message"]
    messages = events(result, "llm_call")[-1]["messages"]
    repeated = messages[-2]["tool_calls"][0]["id"]  # the call stays, so that its answer pairs with it
    assert messages[-1] == {"role": "tool", "tool_call_id": repeated, "content": note["message"]}


def test_error_first_puts_the_exception_line_on_top(tmp_path):
    result = run(tmp_path, error_first=True)
    observation = next(e for e in events(result, "event") if e["kind"] == "observation")
    assert observation["content"].startswith("Your code failed: ValueError: cannot reshape array of size 3")


def test_retry_temperature_follows_a_failure_only(tmp_path):
    result = run(tmp_path, retry_temperature=1.0)
    assert [c["temperature"] for c in events(result, "llm_call")] == [None, 1.0, 1.0]


def test_worked_example_in_the_system_prompt(tmp_path):
    result = run(tmp_path, worked_example=True)
    assert "Example (another task)" in events(result, "llm_call")[0]["messages"][0]["content"]


@pytest.mark.parametrize(
    ("error", "line"),
    [("Traceback (most recent call last):\n  File x\nKeyError: 'a'", "KeyError: 'a'"),
     ("numpy.linalg.LinAlgError: Singular matrix", "numpy.linalg.LinAlgError: Singular matrix"),
     ("timed out after 5 s", "timed out after 5 s")],
)  # fmt: skip
def test_exception_line(error, line):
    assert exception_line(CellResult(outcome="error", stdout="", stderr="", error=error, duration_s=0.1)) == line


def test_repeat_guard_remembers_what_became_of_each_reply():
    guard = RepeatGuard()
    ok = CellResult(outcome="ok", stdout="700 cells\nmore", stderr="", error=None, duration_s=0.1)
    bad = CellResult(outcome="error", stdout="", stderr="", error="ZeroDivisionError: division by zero", duration_s=0.1)
    guard.remember("print(1)", 1, failure_of(ok, None, []), ok)
    guard.remember("1/0", 2, failure_of(bad, None, []), bad)
    guard.remember("FINAL_ANSWER: x.csv", 3, failure_of(None, "/work/x.csv does not exist", []), None)
    guard.remember("Output: [no output]", 4, failure_of(None, None, ["Your reply had no code block."]), None)
    assert guard.earlier("  1/0\n").failure == "ZeroDivisionError: division by zero"
    assert guard.earlier("FINAL_ANSWER:  x.csv").failure == "answer not accepted: /work/x.csv does not exist"
    assert guard.earlier("Output: [no output]").failure == "Your reply had no code block."
    assert "which already ran (its output began: 700 cells)" in guard.earlier("print(1)").note()
    assert "which failed (ZeroDivisionError: division by zero)" in guard.earlier("1/0").note()
    assert guard.earlier("print(2)") is None
    guard.remember("adata = load()", 5, None, ok)  # a cell that ran changed the session: failures may pass now
    assert guard.earlier("1/0") is None and guard.earlier("FINAL_ANSWER: x.csv") is None
    assert guard.earlier("print(1)") is not None  # what already ran stays remembered
    guard.remember("1/0", 6, failure_of(bad, None, []), bad)
    refused_file = failure_of(ok, "/work/x.csv as written: no rows", [])
    guard.remember("write()", 7, refused_file, ok)  # ran, and wrote an answer file the task would refuse
    assert guard.earlier("1/0") is None  # the session changed all the same
    assert guard.earlier("write()").failure == "answer not accepted: /work/x.csv as written: no rows"


def test_silence_hint_names_functions_defined_and_never_called(tmp_path):
    define = code("def predict(a):\n    return a\n\ndef helper():\n    pass\n\nhelper()")
    replies = [define, code("x = 1"), code("print('x')"), "FINAL_ANSWER: nothing"]
    result = run_episode(make_config(tmp_path, replies, scaffold={"silence_hint": True}, budget={"max_steps": 3}))
    notes = [e["content"] for e in events(result, "event") if e["kind"] == "observation"]
    assert "It defines predict() but never calls it." in notes[0] and "helper()" not in notes[0]
    assert "Your code ran and printed nothing." in notes[1] and "defines" not in notes[1]
    assert "printed nothing" not in notes[2]
    plain = run_episode(make_config(tmp_path / "off", replies, budget={"max_steps": 1}))
    assert "printed nothing" not in next(e["content"] for e in events(plain, "event") if e["kind"] == "observation")


def test_repeat_guard_stops_a_loop_of_rejected_answers(tmp_path):
    # Seen with the 0.5B model: after its answer file failed to be written, it resubmitted the same
    # missing file name eight times running.
    replies = ["FINAL_ANSWER: clusters.csv"] * 3 + [code("print('writing')")]
    result = run_episode(make_config(tmp_path, replies, scaffold={"repeat_guard": True}, budget={"max_steps": 4}))
    assert result.totals.invalid_answers == 1  # the copies were not submitted again
    notes = [f for f in events(result, "feedback") if f["kind"] == "repeated"]
    assert len(notes) == 2 and "answer not accepted: /work/clusters.csv does not exist" in notes[0]["message"]
    rejection = next(e["content"] for e in events(result, "event") if e["kind"] == "observation")
    assert "then submit again" in rejection
    # Repeats are well-formed replies, counted apart; the second note is traced, not stacked below the first.
    assert (result.totals.repeats, result.totals.format_errors) == (2, 0)
    assert [note.get("shown", True) for note in notes] == [True, False]
    last_context = events(result, "llm_call")[-1]["messages"]
    assert [m["role"] for m in last_context][-3:] == ["assistant", "user", "user"]  # the reply, its rejection, one note
    assert last_context[-1]["content"] == notes[0]["message"]


def test_scaffold_flag_switches_pieces_and_bad_names_are_one_line():
    from ctxbench.cli import apply_overrides, build_parser
    from ctxbench.config import validate_config
    from ctxbench.errors import ConfigError

    args = build_parser("x").parse_args(["--scaffold", "repeat_guard,retry_temperature=0.8"])
    config = validate_config(apply_overrides({}, args), "test")
    assert (config.scaffold.repeat_guard, config.scaffold.retry_temperature, config.scaffold.error_first) == (
        True, 0.8, False)  # fmt: skip
    bad = build_parser("x").parse_args(["--scaffold", "repeat_gaurd"])
    with pytest.raises(ConfigError, match=r"scaffold\.repeat_gaurd"):
        validate_config(apply_overrides({}, bad), "test")


def test_a_module_used_without_import_or_imported_by_its_short_name_gets_a_hint():
    assert error_summary(failed_cell("NameError: name 'json' is not defined")).endswith("`import json` first)")
    misspelt = "NameError: name 'adatta' is not defined"
    assert error_summary(failed_cell(misspelt)) == misspelt
    alias = "ImportError: cannot import name 'sc' from 'scanpy' (/opt/site-packages/scanpy/__init__.py)"
    assert error_summary(failed_cell(alias)).endswith("it is a short name for it: `import scanpy as sc`)")
    other = "ImportError: cannot import name 'tl' from 'numpy' (/opt/site-packages/numpy/__init__.py)"
    assert error_summary(failed_cell(other)) == other
    numpy_json = "Traceback ...\nTypeError: Object of type int64 is not JSON serializable"
    assert error_summary(failed_cell(numpy_json)).endswith("the file json.dump was writing is left incomplete)")
    assert "int(x)" in error_summary(failed_cell(numpy_json))
    assert error_summary(failed_cell("TypeError: unsupported operand")) == "TypeError: unsupported operand"
    itself = "ImportError: cannot import name 'scanpy' from 'scanpy' (/opt/site-packages/scanpy/__init__.py)"
    assert error_summary(failed_cell(itself)).endswith("is the module itself: `import scanpy`)")
    shipped = ("FileNotFoundError: [Errno 2] No such file or directory: "
               "'/opt/site-packages/sklearn/datasets/data/breast_cancer.csv'")  # fmt: skip
    assert error_summary(failed_cell(shipped)).endswith("use the task's files in /data)")
    own = "FileNotFoundError: [Errno 2] No such file or directory: '/work/answer.csv'"
    assert error_summary(failed_cell(own)) == own


def test_an_sklearn_name_used_unimported_or_an_anndata_csv_writer_gets_a_hint():
    # The ladder's 0.5B episodes: LinearRegression and linear_model used without an import (4 ML
    # episodes); a correct clustering written with adata.write_csv / sc.write_table (3 of 4 on pbmc_clustering).
    cls = error_summary(failed_cell("NameError: name 'LinearRegression' is not defined"))
    assert cls.endswith("(`LinearRegression` is in sklearn.linear_model: "
                        "`from sklearn.linear_model import LinearRegression` first)")  # fmt: skip
    assert error_summary(failed_cell("NameError: name 'cross_val_score' is not defined")).endswith(
        "`from sklearn.model_selection import cross_val_score` first)")  # fmt: skip
    assert error_summary(failed_cell("NameError: name 'linear_model' is not defined")).endswith(
        "`from sklearn import linear_model` first)")  # fmt: skip
    for writer in ("AttributeError: 'AnnData' object has no attribute 'write_csv'",
                   "AttributeError: module 'scanpy' has no attribute 'write_table'"):  # fmt: skip
        assert error_summary(failed_cell(writer)).endswith(".to_csv(path, index=False))")
    other = "AttributeError: 'AnnData' object has no attribute 'sort_values'"
    assert error_summary(failed_cell(other)) == other


def test_silence_hint_says_when_the_answer_file_is_not_written_yet(tmp_path):
    replies = [code("x = 1"), code("open('/work/predictions.csv', 'w').write('cell_id,label')"), code("y = 2"),
               "FINAL_ANSWER: nothing"]  # fmt: skip
    result = run_episode(make_config(tmp_path, replies, scaffold={"silence_hint": True, "submit_hint": True},
                                     budget={"max_steps": 3}))  # fmt: skip
    notes = [e["content"] for e in events(result, "event") if e["kind"] == "observation"]
    assert "/work/predictions.csv has not been written yet." in notes[0] and "submit" not in notes[0]
    assert notes[2].endswith("Print what you need to see, or submit if the answer is written.")


def test_preload_leaves_future_warnings_out_of_the_agents_cells(tmp_path):
    warn = code("import warnings\nwarnings.warn('pass flavor=igraph', FutureWarning)\nprint('done')")
    result = run_episode(make_config(tmp_path, [warn, "FINAL_ANSWER: nothing"], scaffold={"preload": ["numpy as np"]},
                                     budget={"max_steps": 1}))  # fmt: skip
    (execution,) = events(result, "exec")
    assert execution["stdout"].strip() == "done" and "flavor" not in (execution.get("stderr") or "")
    plain = run_episode(make_config(tmp_path / "off", [warn, "FINAL_ANSWER: nothing"], budget={"max_steps": 1}))
    (unquiet,) = events(plain, "exec")
    assert "flavor=igraph" in (unquiet.get("stderr") or "") + (unquiet.get("stdout") or "")


def test_preload_imports_before_the_first_step_and_says_so(tmp_path):
    replies = [code("print(np.zeros(2).sum(), anndata.__name__)"), "FINAL_ANSWER: nothing"]
    result = run_episode(make_config(tmp_path, replies, scaffold={"preload": ["anndata", "numpy as np"]},
                                     budget={"max_steps": 1}))  # fmt: skip
    (execution,) = events(result, "exec")
    assert execution["outcome"] == "ok" and execution["stdout"].strip() == "0.0 anndata"
    assert result.totals.cells == 1  # the preload is the harness's, not a cell of the agent's
    assert (
        "Already imported in the session: anndata, numpy as np."
        in events(result, "llm_call")[0]["messages"][0]["content"]
    )


def test_preload_task_takes_the_tasks_own_imports(tmp_path):
    replies = ["FINAL_ANSWER: nothing"]
    for task, shown in [({"name": "pbmc_annotation"}, "anndata, numpy as np, pandas as pd, scanpy as sc"),
                        ({"name": "ml_toy"}, "numpy as np, pandas as pd")]:  # fmt: skip
        result = run_episode(make_config(tmp_path / task["name"], replies, task=task, scaffold={"preload": "task"},
                                         budget={"max_steps": 1}))  # fmt: skip
        assert f"Already imported in the session: {shown}." in events(result, "llm_call")[0]["messages"][0]["content"]
        (loaded,) = events(result, "preload")
        assert loaded["outcome"] == "ok" and loaded["code"].splitlines()[0] == f"import {shown.split(', ')[0]}"
    plain = run_episode(make_config(tmp_path / "smoke", replies, task={"name": "smoke_sum"},
                                    scaffold={"preload": "task"}, budget={"max_steps": 1}))  # fmt: skip
    assert "Already imported" not in events(plain, "llm_call")[0]["messages"][0]["content"]
    assert not events(plain, "preload")


def test_a_text_reply_is_answered_in_one_message_ending_with_what_to_do(tmp_path):
    replies = [FAILING + "\nFINAL_ANSWER: nothing", code("print('fixed')")]
    result = run_episode(make_config(tmp_path, replies, budget={"max_steps": 2}))
    (answer,) = [e for e in events(result, "event") if e["kind"] in ("observation", "feedback") and e["step"] == 1]
    content = answer["content"]
    assert "ValueError: cannot reshape" in content and answer["meta"]["outcome"] == "error"
    ignored, help_line = "Your FINAL_ANSWER was not taken: the code before it failed.", "The code failed. Reply with"
    assert content.index(ignored) < content.index(help_line)
    assert content.endswith("that fixes this error.")


def test_the_repeat_note_ends_with_what_to_write(tmp_path):
    result = run(tmp_path, repeat_guard=True)
    (note,) = [f for f in events(result, "feedback") if f["kind"] == "repeated"]
    assert note["message"].endswith("It was not run again. Write different code that fixes this.")


def test_preload_takes_imports_only():
    from ctxbench.config import validate_config
    from ctxbench.errors import ConfigError

    with pytest.raises(ConfigError, match="is not `module` or `module as name`"):
        validate_config({"scaffold": {"preload": ["os; os.system('x')"]}}, "test")


def test_primer_adds_the_task_familys_api_basics_with_the_tasks_own_answer_file(tmp_path):
    from benchmarks.common import ANNDATA_PRIMER

    replies = ["FINAL_ANSWER: nothing"]
    on = run_episode(make_config(tmp_path, replies, scaffold={"primer": True}, budget={"max_steps": 1}))
    off = run_episode(make_config(tmp_path / "off", replies, budget={"max_steps": 1}))
    shown = events(on, "llm_call")[0]["messages"][0]["content"]
    assert ANNDATA_PRIMER.split("{answer_line}")[0] in shown and "{answer_line}" not in shown
    assert '.to_csv("/work/predictions.csv", index=False)' in shown  # pbmc_annotation's file, not a placeholder
    assert "AnnData basics" not in events(off, "llm_call")[0]["messages"][0]["content"]
    json_task = {"name": "pbmc_cell_cycle"}
    cycle = run_episode(make_config(tmp_path / "json", replies, task=json_task, scaffold={"primer": True},
                                    budget={"max_steps": 1}))  # fmt: skip
    shown = events(cycle, "llm_call")[0]["messages"][0]["content"]
    assert 'json.dump(answers, open("/work/phases.json", "w"))' in shown


def test_submit_hint_follows_the_cell_that_writes_the_answer_file(tmp_path):
    from benchmarks import TASKS, make_task

    write = code(make_task(TASKS.get("pbmc_annotation").config_class(), seed=0).script("trivial"))
    replies = [code("print('look')"), write, code("print('again')"), "FINAL_ANSWER: predictions.csv"]
    result = run_episode(make_config(tmp_path, replies, scaffold={"submit_hint": True}, budget={"max_steps": 4}))
    notes = [e["content"] for e in events(result, "event") if e["kind"] == "observation"]
    hint = "# /work/predictions.csv was written. To submit it, reply with this line:\nFINAL_ANSWER: predictions.csv"
    assert [hint in note for note in notes[:3]] == [False, True, False]


def test_submit_hint_says_why_a_written_answer_file_would_be_refused_instead_of_inviting_it(tmp_path):
    bad = code("open('/work/predictions.csv', 'w').write('cell_id,label\\nno_such_cell,not a cell type\\n')")
    replies = [bad, "FINAL_ANSWER: predictions.csv"]
    result = run_episode(make_config(tmp_path, replies, scaffold={"submit_hint": True}, budget={"max_steps": 2}))
    note = next(e["content"] for e in events(result, "event") if e["kind"] == "observation")
    assert "/work/predictions.csv was written, but it would not be accepted: " in note
    assert note.endswith("Fix the file, then submit.") and "FINAL_ANSWER" not in note
    (submission,) = events(result, "final_answer")
    assert not submission["valid"] and submission["error"] in note  # the same reason a submission is given
    # Sent again, that cell is a step that failed, not one that "already ran: take the next step, or submit".
    pieces = {"submit_hint": True, "repeat_guard": True}
    again = run_episode(make_config(tmp_path / "again", [bad, bad], scaffold=pieces, budget={"max_steps": 2}))
    (repeat,) = [f["message"] for f in events(again, "feedback") if f["kind"] == "repeated"]
    assert "which failed (answer not accepted: /work/predictions.csv as written: " in repeat
    assert repeat.endswith("Write different code that fixes this.")


def test_submit_hint_follows_a_cell_that_defines_the_function_a_code_answer_needs(tmp_path):
    defines = code("def truncate_number(number):\n    return number % 1.0\n\nprint(truncate_number(3.5))")
    replies = [code("def helper():\n    return 1"), defines, "FINAL_ANSWER: truncate_number"]
    task = {"name": "humaneval", "problem": 2}
    result = run_episode(make_config(tmp_path, replies, task=task, scaffold={"submit_hint": True}))
    notes = [e["content"] for e in events(result, "event") if e["kind"] == "observation"]
    hint = "# truncate_number() is defined. If its output is right: To submit it, reply with this line:"
    assert [hint in note for note in notes] == [False, True] and notes[1].endswith("FINAL_ANSWER: truncate_number")
    assert result.score.passed
    plain = run_episode(make_config(tmp_path / "off", replies, task=task))
    assert not any(hint in e["content"] for e in events(plain, "event") if e["kind"] == "observation")


def test_the_submit_hint_echoed_as_code_submits(tmp_path):
    from ctxbench.modes.scaffold import submit_note

    (tmp_path / "clusters.csv").write_text("cell_id,cluster\n")
    note = submit_note(tmp_path / "clusters.csv")
    echoed = run_episode(make_config(tmp_path / "run", [code(note)], budget={"max_steps": 1}))
    (submission,) = events(echoed, "final_answer")
    assert submission["raw"] == "clusters.csv"


def test_scaffold_activity_counts_what_each_piece_did(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))  # as test_humaneval_suite does
    from scaffold_activity import activity

    from benchmarks import TASKS, make_task

    write = code(make_task(TASKS.get("pbmc_annotation").config_class(), seed=0).script("trivial"))  # prints nothing
    replies = [FAILING, FAILING, write, "FINAL_ANSWER: predictions.csv"]
    pieces = {"repeat_guard": True, "error_first": True, "silence_hint": True, "submit_hint": True,
              "retry_temperature": 0.9}  # fmt: skip
    result = run_episode(make_config(tmp_path, replies, scaffold=pieces, budget={"max_steps": 4}))
    fired, then, episodes = activity(result.trace_path.parent)
    assert episodes == 1
    assert (fired["error_first"], fired["repeat_guard"], fired["silence_hint"], fired["submit_hint"]) == (1, 1, 1, 1)
    assert then["submit_hint"] == {"valid answer": 1}  # the trivial answer: valid, scored as trivial
    assert fired["retry_temperature"] == 2  # the calls after the failure and after the repeat


def test_silence_hint_says_an_echoed_stub_has_no_code(tmp_path):
    # Seen with the 0.5B model on HumanEval: it echoed the problem's stub, signature and docstring,
    # and was told only that it never called the function.
    stub = code('def below_zero(ops):\n    """True if the balance falls below zero."""\n\ndef f():\n    pass\n')
    replies = [stub, code('def g(x):\n    """Doc."""\n    return x\n'), "FINAL_ANSWER: nothing"]
    result = run_episode(make_config(tmp_path, replies, scaffold={"silence_hint": True}, budget={"max_steps": 2}))
    first, second = [e["content"] for e in events(result, "event") if e["kind"] == "observation"]
    assert "below_zero() has no code yet, only its docstring" in first and "f()" not in first
    assert "no code yet" not in second and "It defines g() but never calls it." in second


@pytest.mark.parametrize("mode", ["agentic", "controller"])
def test_task_first_puts_the_task_before_our_instructions_and_sends_no_system_prompt(tmp_path, mode):
    replies = [code("print(1)"), "FINAL_ANSWER: nothing"]
    task = {"name": "humaneval", "problem": 0}

    def first_messages(folder, **scaffold):
        config = make_config(tmp_path / folder, replies, task=task, reasoning_mode=mode, scaffold=scaffold,
                             budget={"max_steps": 1})  # fmt: skip
        return events(run_episode(config), "llm_call")[0]["messages"]

    plain = first_messages("plain")
    assert [m["role"] for m in plain] == ["system", "user"] and plain[1]["content"].startswith("Task (HumanEval/0)")
    (first,) = first_messages("first", task_first=True)
    assert first["role"] == "user" and first["content"] == plain[1]["content"].rstrip() + "\n\n" + plain[0]["content"]


def test_autosubmit_submits_what_the_agent_left_when_the_budget_ends(tmp_path):
    # Seen with the 0.5B model: a correct function run, then "FALSE", "True", "DEFAULT" until the end.
    defines = code("def truncate_number(number):\n    return number % 1.0\n\nprint(truncate_number(3.5))")
    task = {"name": "humaneval", "problem": 2}
    budget = {"max_steps": 3}
    left = run_episode(make_config(tmp_path / "on", [defines, "FALSE", "True"], task=task, budget=budget,
                                   scaffold={"autosubmit": True}))  # fmt: skip
    assert (left.stop_reason, left.score.passed, left.totals.invalid_answers) == ("max_steps", True, 0)
    (auto,) = events(left, "final_answer")
    assert auto["auto"] and auto["submitted_cell_of"] == "truncate_number"
    off = run_episode(make_config(tmp_path / "off", [defines, "FALSE", "True"], task=task, budget=budget))
    assert (off.stop_reason, off.score.passed, events(off, "final_answer")) == ("max_steps", False, [])
    nothing = run_episode(make_config(tmp_path / "none", ["FALSE"], task=task, budget={"max_steps": 1},
                                      scaffold={"autosubmit": True}))  # fmt: skip
    assert nothing.totals.invalid_answers == 0 and not nothing.score.passed  # nothing to submit: no answer


def test_autosubmit_submits_an_answer_file_written_and_never_submitted(tmp_path):
    from tests.test_sweep import PREDICT, REFERENCE

    replies = [code(REFERENCE + "\n" + PREDICT), "I am done."]
    result = run_episode(make_config(tmp_path, replies, scaffold={"autosubmit": True}, budget={"max_steps": 2}))
    assert result.stop_reason == "max_steps" and result.score.passed


LOAD = "import anndata\nadata = anndata.read_h5ad('/data/pbmc68k_heldout.h5ad')\n"


def test_key_hint_says_where_a_missing_key_is(tmp_path):
    replies = [code(LOAD + "adata.uns['n_genes']"), code(LOAD + "adata.obs['leiden']"),
               code("print('_ctxbench_where_is' in globals())"), "FINAL_ANSWER: nothing"]  # fmt: skip
    result = run_episode(make_config(tmp_path, replies, scaffold={"key_hint": True, "error_first": True},
                                     budget={"max_steps": 3}))  # fmt: skip
    shown = [e["content"] for e in events(result, "event") if e["kind"] == "observation"]
    assert shown[0].startswith(
        "Your code failed: KeyError: 'n_genes'\n"
        "Looked up in the session's AnnData objects: 'n_genes' is at adata.obs['n_genes'].\n"
    )
    assert "AnnData objects: 'leiden' is in none of them; their keys are:" in shown[1]
    assert "adata.obs: 'bulk_labels'" in shown[1] and "adata.obsm: 'X_pca'" in shown[1]
    assert shown[2].splitlines()[-1] == "False"  # the harness's lookup left no name in the agent's session
    probes = events(result, "scaffold_probe")
    assert [p["piece"] for p in probes] == ["key_hint", "key_hint"] and result.totals.cells == 3
    assert result.totals.scaffold_exec_s == pytest.approx(sum(p["duration_s"] for p in probes))


def test_key_hint_acts_on_keys_only_not_messages_and_when_switched_on(tmp_path):
    replies = [code(LOAD + "adata.uns['n_genes']"), code("{}[3]"), code("raise KeyError('No \"neighbors\" in .uns')"),
               "FINAL_ANSWER: nothing"]  # fmt: skip
    for scaffold, probes in (({}, 0), ({"key_hint": True}, 1)):
        out = tmp_path / str(probes)
        result = run_episode(make_config(out, replies, scaffold=scaffold, budget={"max_steps": 3}))
        assert len(events(result, "scaffold_probe")) == probes
        first = next(e["content"] for e in events(result, "event") if e["kind"] == "observation")
        assert ("'n_genes' is at adata.obs['n_genes']." in first) == bool(probes)


def test_a_refused_answer_names_an_answer_file_only_where_the_task_asks_for_one(tmp_path):
    smoke = run_episode(make_config(tmp_path / "sum", ["FINAL_ANSWER: the sum"], task={"name": "smoke_sum"},
                                    budget={"max_steps": 1}))  # fmt: skip
    (told,) = [e["content"] for e in events(smoke, "event") if e["kind"] == "observation"]
    assert told.endswith("which is neither (/work/the sum does not exist). Fix this, then submit again.")
    pbmc = run_episode(make_config(tmp_path / "pbmc", ["FINAL_ANSWER: p.csv"], budget={"max_steps": 1}))
    (told,) = [e["content"] for e in events(pbmc, "event") if e["kind"] == "observation"]
    assert told.endswith("(an answer file must first be written by code that runs without errors), then submit again.")


def test_a_scanpy_function_looked_for_in_the_wrong_module_is_shown_where_it_is():
    # Seen with the 1.5B in the ladder: sc.pp.score_genes and sc.pp.score_genes_cell_cycle, 22 of 100 failed cells.
    wrong_module = "AttributeError: module 'scanpy.preprocessing' has no attribute 'score_genes'"
    where = "(`score_genes` is not there; scanpy has `sc.tl.score_genes`)"
    assert error_summary(failed_cell(wrong_module)).endswith(where)
    misnamed = "AttributeError: module 'scanpy' has no attribute 'score_cell_cycle'"
    assert error_summary(failed_cell(misnamed)).endswith("scanpy has `sc.tl.score_genes_cell_cycle`)")
    nothing_near = "AttributeError: module 'scanpy' has no attribute 'frobnicate'"
    assert error_summary(failed_cell(nothing_near)) == nothing_near
