"""Scaffolding for small models: each piece switchable on its own (config `scaffold`, flag
`--scaffold`), so what each changes can be measured apart (scripts/measure_issue15.sh).

- repeat_guard: a reply identical to an earlier one is not run again; the model is told what became
  of the first (its failure line: an exception, a refused answer or answer file, a malformed reply;
  or the start of its output), and its history keeps no turn of the copy, nor a second note below
  the first (small models resend a failed reply word for word, and each copy in the context
  makes the next one likelier: at temperature 0.9 with no truncation the 0.5B model still copied a
  260-token reply 4 times out of 4). Repeats are counted apart (totals.repeats), not as format errors.
- error_first: a failed run's observation starts with its exception line, before the traceback
  and output that bury it, and a NameError of a name that is an installed module says to import
  it (measured: the 0.5B model used `anndata` without importing it, ten steps running); so does a
  scikit-learn name, with its module, and a CSV writer AnnData and scanpy do not have is answered
  with the pandas way (both seen in the ladder's 0.5B episodes); a scanpy function looked for in the
  wrong module (`sc.pp.score_genes`) is shown where scanpy has it, or its nearest name.
- silence_hint: a cell that runs and prints nothing is called out, with the functions it defined
  and never called (seen with the 1.5B model: it wrapped its whole solution in a function it never
  called, and resent it five times on "[no output]").
- submit_hint: when a cell that ran without error has just written the file the task asks for
  (or, for a code answer, defines the function the answer must define), the observation says so
  and gives the line that submits it (seen with the 1.5B model: it wrote
  clusters.csv in its first step, then spent nine steps on prose, "Submit: clusters.csv" and
  replies in the harness's voice, never submitting). The note is a `#` comment and a FINAL_ANSWER
  line, so that a model echoing it, in a code block or not, submits.
- key_hint: after a `KeyError` on a string key, the harness looks the key up in the session's AnnData
  objects (obs and var columns, uns, obsm, layers) and says where it is, or what keys there are
  (seen with the 1.5B model on krumsiek: five of six failed episodes read `dpt_pseudotime` from
  `adata.uns`, where it is not, instead of `adata.obs`, and tried the same place again; the
  KeyError names only the key). Run as a harness cell, traced as `scaffold_probe`, not the agent's.
- retry_temperature: the call after a failure samples at this temperature (a greedy or cool model
  otherwise repeats itself).
- worked_example: the text protocol's system prompt ends with a short worked exchange (seen: the
  0.5B model copies the example's text into its own code).
- primer: the task family's API basics (for single-cell tasks: what adata.obs, .X and .obsm are,
  the scanpy calls that work in place, how to write the answer table) at the end of the system
  prompt (seen: the 0.5B model called methods AnnData does not have, such as `adata.sort_values`
  and `adata.to_scipy_clusters`).
- preload: modules imported into the session before the first step, and named in the system
  prompt (measured: the 0.5B model called `anndata.read_h5ad` without `import anndata` in every
  step of 3 pbmc_markers episodes, hint or not). "task" takes the task's own list (Task.preload):
  one list for every task led the 0.5B to `anndata.read_table` on smoke_sum's text file and
  `anndata.read_csv` on the TCR contig table, which it reads with `open()` or pandas when nothing
  names anndata. The preload also silences FutureWarnings (their advice was copied into code).
- autosubmit: when the budget ends with no answer accepted, the harness submits what the agent
  left: the newest cell defining the function a code answer needs, or the task's answer file
  (traced as a final_answer with auto: true; the stop reason stays the budget's). Seen with the 0.5B
  model: its function printed the docstring's expected values, and it then replied "FALSE", "True",
  "DEFAULT" until the budget ended, the submit line in front of it.
- task_first: no system prompt of ours (the model's chat template supplies its own); the task
  opens the first message and our instructions follow it. Measured on the first greedy reply of
  the 0.5B model to 8 HumanEval problems it solves alone: with our instructions as the system
  prompt it echoed the stub back, docstring and no code, and passed 3 of 8; with the same words
  after the task, 6 of 8 (scripts/probe_first_reply.py).
"""

import ast
import difflib
import functools
import importlib
import importlib.util
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ctxbench.episode import FUNCTION, top_level_statements
from ctxbench.events import EventKind
from ctxbench.llm.base import LLMReply
from ctxbench.sandbox.base import CellResult

PRELOAD_ITEM = re.compile(r"[A-Za-z_][\w.]*( as [A-Za-z_]\w*)?")
EXCEPTION_LINE = re.compile(r"^\w+(?:\.\w+)*(?:Error|Exception|Exit|Interrupt|Warning)\b.*$", re.MULTILINE)

WORKED_EXAMPLE = """\

Example (another task). The user asks for the mean of column `x` in /data/t.csv.
Reply 1:
```python
import pandas as pd
df = pd.read_csv("/data/t.csv")
print(df.columns.tolist(), len(df))
```
Harness: ['x', 'y'] 10
Reply 2:
```python
print(df["x"].mean())
```
Harness: 4.5
Reply 3:
FINAL_ANSWER: 4.5
"""


class ScaffoldConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repeat_guard: bool = Field(False, description="Do not rerun a reply identical to an earlier one; say what it did")
    error_first: bool = Field(False, description="Start a failed run's observation with its exception line")
    silence_hint: bool = Field(False, description="Say when a cell printed nothing, naming functions it never called")
    key_hint: bool = Field(False, description="After a KeyError, say where the key is in the session's AnnData objects")
    retry_temperature: float | None = Field(
        None, ge=0.0, le=2.0, description="Temperature of the call after a failure (None: the model's)"
    )
    worked_example: bool = Field(False, description="A worked example of the text protocol in the system prompt")
    submit_hint: bool = Field(
        False, description="Say when a cell has just written the task's answer file, and how to submit it"
    )
    primer: bool = Field(
        False, description="The task family's API basics in the system prompt (AnnData for single-cell)"
    )
    autosubmit: bool = Field(
        False, description="When the budget ends with no answer accepted, submit what the agent left"
    )
    task_first: bool = Field(
        False, description="The task first, our instructions after it in the same message; no system prompt of ours"
    )
    all_blocks: bool = Field(
        False, description="Run all python blocks of a reply as one cell, in order (not only the first)"
    )
    preload: list[str] | Literal["task"] = Field(
        default_factory=list,
        description='Imports run before the first step and named in the system prompt, e.g. ["anndata", '
        '"numpy as np"]; "task": the task\'s own (single-cell tasks: anndata and scanpy; a text file: none)',
    )

    @field_validator("preload")
    @classmethod
    def _plain_imports(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, str):
            return value
        for item in value:
            if not PRELOAD_ITEM.fullmatch(item):
                raise ValueError(f"{item!r} is not `module` or `module as name`")
        return value

    def opening(self, instructions: str, task: str) -> list[tuple[EventKind, str]]:
        """An episode's first events: our instructions as the system prompt, then the task; with
        task_first, one message, the task and then our instructions."""
        if self.task_first:
            return [("task", f"{task.rstrip()}\n\n{instructions}")]
        return [("system", instructions), ("task", task)]

    def imports(self, task_preload: Sequence[str]) -> list[str]:
        """What preload imports for a task whose own imports are task_preload."""
        return list(task_preload) if self.preload == "task" else list(self.preload)


# A FutureWarning is about a library's next version, never about this cell's result, and the 0.5B
# copied scanpy's ('pass: flavor="igraph" and n_iterations=2') into 11 unrelated calls in the ladder.
QUIET_FUTURE = 'import warnings\nwarnings.simplefilter("ignore", FutureWarning)\ndel warnings'


def preload_code(imports: Sequence[str]) -> str:
    return "\n".join([*(f"import {item}" for item in imports), QUIET_FUTURE])


def preload_note(imports: Sequence[str]) -> str:
    return f"\nAlready imported in the session: {', '.join(imports)}.\n" if imports else ""


def exception_line(result: CellResult) -> str:
    """The last `SomeError: message` line of a failed run (its error, else its stderr)."""
    for text in (result.error or "", result.stderr or ""):
        lines = EXCEPTION_LINE.findall(text)
        if lines:
            return lines[-1].strip()
    last = (result.error or result.outcome).strip().splitlines()
    return last[-1] if last else ""


NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")
IMPORT_ERROR = re.compile(r"ImportError: cannot import name '(\w+)' from '([\w.]+)'")
# json writes no numpy or pandas value: the 1.5B model's dict of answers held np.int64 counts, json.dump
# failed half-way through the file, and the same code was sent again three times.
NOT_JSON = re.compile(r"TypeError: Object of type (\w+) is not JSON serializable")
# A file a package ships with its data (sklearn's load_breast_cancer): kept out of the sandbox, as the
# hidden truth's twin; the bare FileNotFoundError read like a broken install, and the 0.5B called the
# loader again at 6 of 10 steps.
PACKAGE_DATA = re.compile(r"(?:FileNotFoundError|OSError|IOError)\b.*site-packages/")
# AnnData and scanpy write no CSV: the 0.5B's first replies on pbmc_clustering clustered correctly and
# then called adata.write_csv (or adata.write_table, sc.write_table), in 3 of 4 ladder episodes.
NO_TABLE_WRITER = re.compile(
    r"AttributeError: (?:'AnnData' object|module 'scanpy') has no attribute "
    r"'(?:write|to|save)_?(?:csv|tsv|table|txt|text)\w*'"
)
# Where the sklearn names the 0.5B used without importing them live (LinearRegression, linear_model):
# classes of these modules, functions of the last two, and the modules whose names are no likely
# variable names (a NameError on `cluster` or `metrics` is more often the agent's own variable).
SKLEARN_MODULES = ("linear_model", "ensemble", "tree", "neighbors", "svm", "naive_bayes", "preprocessing",
                   "pipeline", "decomposition", "cluster", "impute", "model_selection", "metrics")  # fmt: skip
SKLEARN_FUNCTION_MODULES = ("model_selection", "metrics")
SKLEARN_NAMED_MODULES = ("linear_model", "ensemble", "neighbors", "naive_bayes", "preprocessing", "decomposition",
                         "model_selection")  # fmt: skip
# A scanpy function called from the wrong module: the 1.5B called sc.pp.score_genes and
# sc.pp.score_genes_cell_cycle (both in sc.tl) in 22 of its 100 failed cells in the ladder.
SCANPY_MISS = re.compile(r"AttributeError: module 'scanpy(?:\.(\w+))?' has no attribute '(\w+)'")
SCANPY_MODULES = ("pp", "tl", "pl", "get")
# Short names by convention only: `from scanpy import sc` is what the 0.5B model writes for `import scanpy as sc`.
ALIASES = {"np": "numpy", "pd": "pandas", "sc": "scanpy", "ad": "anndata", "plt": "matplotlib.pyplot", "sns": "seaborn"}


def error_summary(result: CellResult) -> str:
    """The exception line, with a hint when a module was used without being imported, a
    conventional short name was imported from its module, or json was given a numpy value."""
    line = exception_line(result)
    missing = NAME_ERROR.search(line)
    if missing and importlib.util.find_spec(missing.group(1)) is not None:
        line += f" (`{missing.group(1)}` is a module: `import {missing.group(1)}` first)"
    elif missing and (home := sklearn_home(missing.group(1))):
        line += f" (`{missing.group(1)}` is in {home}: `from {home} import {missing.group(1)}` first)"
    if NO_TABLE_WRITER.search(line):
        line += (" (AnnData and scanpy write no CSV: make a pandas DataFrame, e.g. with the cell ids "
                 "adata.obs_names as a column, and call .to_csv(path, index=False))")  # fmt: skip
    if (miss := SCANPY_MISS.search(line)) and (home := scanpy_home(miss.group(2))):
        line += f" (`{miss.group(2)}` is not there; scanpy has `{home}`)"
    alias = IMPORT_ERROR.search(line)
    if alias and ALIASES.get(alias.group(1)) == alias.group(2):
        name, module = alias.groups()
        line += f" (`{name}` is not inside {module}, it is a short name for it: `import {module} as {name}`)"
    elif alias and alias.group(1) == alias.group(2).rsplit(".", 1)[-1]:  # `from scanpy import scanpy`
        line += f" (`{alias.group(1)}` is the module itself: `import {alias.group(2)}`)"
    if PACKAGE_DATA.search(line):
        line += " (the data files packages ship are not in this sandbox: use the task's files in /data)"
    if value_type := NOT_JSON.search(line):
        line += (f" (json cannot write a numpy/pandas {value_type.group(1)}: convert values first with int(x), "
                 "float(x), str(x) or x.tolist(); the file json.dump was writing is left incomplete)")  # fmt: skip
    return line


@functools.cache
def sklearn_home(name: str) -> str | None:
    """The scikit-learn module that exports `name` (a class, a function or a submodule), if one does."""
    if importlib.util.find_spec("sklearn") is None:
        return None
    if name in SKLEARN_NAMED_MODULES:
        return "sklearn"
    searched = SKLEARN_MODULES if name[:1].isupper() else SKLEARN_FUNCTION_MODULES
    for module in searched:
        found = importlib.import_module(f"sklearn.{module}")
        if name in getattr(found, "__all__", ()) and callable(getattr(found, name, None)):  # no submodule
            return f"sklearn.{module}"
    return None


@functools.cache
def scanpy_home(name: str) -> str | None:
    """Where scanpy has `name`, or the name nearest to it (`sc.tl.score_genes_cell_cycle` for
    `score_cell_cycle`), as `sc.<module>.<name>`; None when scanpy is absent or nothing is near."""
    if importlib.util.find_spec("scanpy") is None:
        return None
    scanpy = importlib.import_module("scanpy")
    places = {f"sc.{module}.{attr}": attr for module in SCANPY_MODULES
              for attr in dir(getattr(scanpy, module, None)) if not attr.startswith("_")}  # fmt: skip
    exact = [place for place, attr in places.items() if attr == name]
    if exact:
        return exact[0]
    near = difflib.get_close_matches(name, list(places.values()), n=1, cutoff=0.75)
    return next((place for place, attr in places.items() if near and attr == near[0]), None)


KEY_ERROR = re.compile(r"^KeyError: ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")$")

# Run in the agent's session by the harness: reads only AnnData objects (by type name, so no
# property of an arbitrary object of the agent's is touched) and leaves no name behind.
WHERE_IS_KEY = """\
def _ctxbench_where_is(key, limit=12):
    found, listed = [], []
    for name, value in list(globals().items()):
        if name.startswith("_") or type(value).__name__ != "AnnData":
            continue
        places = {"obs": value.obs.columns, "var": value.var.columns, "uns": value.uns.keys(),
                  "obsm": value.obsm.keys(), "layers": value.layers.keys()}
        for place, keys in places.items():
            keys = [str(k) for k in keys]
            if key in keys:
                found.append(f"{name}.{place}[{key!r}]")
            more = f", ... ({len(keys)} in all)" if len(keys) > limit else ""
            shown = ", ".join(repr(k) for k in keys[:limit]) + more
            listed.append(f"{name}.{place}: {shown or '(none)'}")
    if found:
        print(f"{key!r} is at " + " and ".join(found) + ".")
    elif listed:
        print(f"{key!r} is in none of them; their keys are:")
        print("\\n".join(listed))
_ctxbench_where_is(KEY)
del _ctxbench_where_is
"""


def missing_key(result: CellResult) -> str | None:
    """The key of a failed run's `KeyError: 'key'` (None: another error, a key that is no string, or
    a message)."""
    match = KEY_ERROR.match(exception_line(result))
    if match is None:
        return None
    try:
        key = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return None
    # scanpy raises KeyError('No "neighbors" in .uns'): a message, not a key to look up
    return key if isinstance(key, str) and key and not any(c.isspace() for c in key) else None


def where_is_key_code(key: str) -> str:
    return WHERE_IS_KEY.replace("_ctxbench_where_is(KEY)", f"_ctxbench_where_is({key!r})")


def normalized(text: str) -> str:
    return " ".join(text.split())


def reply_identity(reply: LLMReply) -> str:
    """What makes two replies the same: their text and their tool calls (in the native protocol a
    call's text is empty, and every call would otherwise be the same reply)."""
    calls = [f"{call.name}({canonical_json(call.arguments)})" for call in reply.tool_calls]
    return normalized("\n".join([reply.text, *calls]))


def canonical_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return text


# The words each piece puts in what the model is shown; scripts/scaffold_activity.py finds its
# pieces at work in traces by them.
NOT_RUN_AGAIN = "It was not run again"
ERROR_FIRST = "Your code failed: "
SILENT = "Your code ran and printed nothing."
NO_BODY = "has no code yet, only its docstring: write the body that computes the result, and print it on an example."
SUBMIT_HOW = "To submit it, reply with this line:"
LOOKED_UP = "Looked up in the session's AnnData objects:"


@dataclass(frozen=True)
class Earlier:
    """What became of a reply the first time it was sent."""

    step: int
    failure: str | None  # its exception line, or why its answer or action was refused
    output: str  # the start of what it printed

    def note(self) -> str:
        if self.failure is not None:
            return (f"Your last reply was the same as your reply at step {self.step}, which failed "
                    f"({self.failure}). {NOT_RUN_AGAIN}. Write different code that fixes this.")  # fmt: skip
        shown = f"its output began: {self.output}" if self.output else "it printed nothing"
        return (f"Your last reply was the same as your reply at step {self.step}, which already ran ({shown}). "
                f"{NOT_RUN_AGAIN}: take the next step, or submit.")  # fmt: skip


class RepeatGuard:
    """Remembers every reply and what became of it, so an identical reply is answered, not rerun."""

    def __init__(self) -> None:
        self.seen: dict[str, Earlier] = {}

    def earlier(self, reply: str) -> Earlier | None:
        return self.seen.get(normalized(reply))

    def shown(self, reply: LLMReply) -> str | None:
        """What the history keeps of a reply: nothing of a repeated one ("": only the note answering
        it), the reply itself otherwise (None); a repeated tool call stays, answered by its id. A
        one-line placeholder in the repeat's place was copied: the 0.5B wrote "[the same reply as at
        step 5, not run again]" as its reply four times in one smoke_sum episode."""
        earlier = None if reply.tool_calls else self.earlier(reply_identity(reply))
        return "" if earlier else None

    def remember(self, reply: str, step: int, failure: str | None, result: CellResult | None) -> None:
        if result is not None and result.outcome == "ok":
            # A cell that ran changed the session: code that failed before it may run now (seen with
            # the 1.5B: the read that had failed, resent after the cell computing it, was refused);
            # so does a cell whose answer file would be refused (it wrote a file a resubmission reads).
            self.seen = {key: earlier for key, earlier in self.seen.items() if earlier.failure is None}
        output = (result.stdout.strip().splitlines() or [""])[0][:OUTPUT_SHOWN] if result is not None else ""
        self.seen.setdefault(normalized(reply), Earlier(step, failure, output))


OUTPUT_SHOWN = 120  # characters of an earlier run's first output line repeated in the note


def failure_of(result: CellResult | None, rejection: str | None, problems: list[str]) -> str | None:
    """What a step failed with: its code's exception line, why its answer was not accepted, or what
    was wrong with the reply itself."""
    if result is not None and result.outcome != "ok":
        return exception_line(result)
    if rejection:
        return f"answer not accepted: {rejection}"
    # A problem's first sentence: the whole help text of a cut-off reply, nested in the note, was copied.
    return problems[0].split(". ", 1)[0] if problems else None


def uncalled_functions(body: list[ast.stmt]) -> list[str]:
    """The top-level functions a cell (its top-level statements) defines and does not call at its top level."""
    defined = [node.name for node in body if isinstance(node, FUNCTION)]
    rest = ast.Module(body=[node for node in body if not isinstance(node, FUNCTION)], type_ignores=[])
    called = {node.func.id for node in ast.walk(rest) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    return [name for name in defined if name not in called]


def empty_functions(body: list[ast.stmt]) -> list[str]:
    """The top-level functions a cell defines with a docstring and no code (`pass` or `...` at most)."""
    functions = [node for node in body if isinstance(node, FUNCTION)]
    return [f.name for f in functions if ast.get_docstring(f) is not None and all(map(_is_filler, f.body))]


def _is_filler(node: ast.stmt) -> bool:
    constant = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    return isinstance(node, ast.Pass) or (constant and isinstance(node.value.value, str | type(...)))  # type: ignore[attr-defined]


def silence_note(code: str, result: CellResult, answer_file: Path | None = None) -> str | None:
    """For a cell that ran and printed nothing: say so, and name the functions it never called
    (or that have no body yet: the 0.5B model echoes a HumanEval stub, docstring and no code). When
    the task's answer file is known and missing, the note says so instead of inviting a submission
    (the 0.5B submitted a file that did not exist after 5 such notes in the ladder)."""
    if result.outcome != "ok" or result.stdout.strip() or result.stderr.strip():
        return None
    note = SILENT
    body = top_level_statements(code)
    if empty := empty_functions(body):
        names = ", ".join(f"{name}()" for name in empty)
        return f"{note} {names} {NO_BODY}"
    if uncalled := uncalled_functions(body):
        names = ", ".join(f"{name}()" for name in uncalled)
        note += f" It defines {names} but never calls {'it' if len(uncalled) == 1 else 'them'}."
    if answer_file is not None and not answer_file.is_file():
        return note + f" Print what you need to see. /work/{answer_file.name} has not been written yet."
    return note + " Print what you need to see, or submit if the answer is written."


def file_version(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of a file, None if there is none: compared before and after a cell."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def submit_note(path: Path, problem: str | None = None) -> str:
    """For a cell that has just written the answer file: that it exists, and how to submit it; or,
    when the task would not accept it (`problem`), why (seen: the note invited a submission of a
    file with 140 empty labels, which was then refused at every step)."""
    if problem is not None:
        return f"# /work/{path.name} was written, but it would not be accepted: {problem}\nFix the file, then submit."
    # Small models echo the last thing they read, often inside a code block: echoed, this note is a
    # comment and a submission (seen with the 1.5B model: a prose note echoed as code, a SyntaxError).
    return f"# /work/{path.name} was written. {SUBMIT_HOW}\nFINAL_ANSWER: {path.name}"


def submit_function_note(function: str, result: CellResult) -> str | None:
    """For a cell that defined the function a code answer must define, if it ran without error: how
    to submit it by name (seen with the 0.5B model: its correct function printed the docstring's
    expected values, and it replied `FINAL_ANSWER: 3`, the output, instead of the function)."""
    if result.outcome != "ok":
        return None
    return f"# {function}() is defined. If its output is right: {SUBMIT_HOW}\nFINAL_ANSWER: {function}"
