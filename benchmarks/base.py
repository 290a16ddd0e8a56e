"""The task protocol: data the agent may see, a grader whose ground truth it never sees.

A task prepares its data into `workspace/data` (mounted read-only into the sandbox) and keeps its
ground truth in memory and in `workspace/hidden` (never mounted). Its baseline and reference are
scripts run in the sandbox like agent code; they write the answer the grader reads.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from ctxbench.errors import HarnessError
from ctxbench.registry import Registry
from ctxbench.sandbox.base import Sandbox


class TaskConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str

    @property
    def label(self) -> str:
        """How results name the task (a task file: by its file)."""
        return self.name


def how_to_write(answer_file: str) -> str:
    """A primer's line on writing the answer file, by its kind."""
    if answer_file.endswith(".json"):
        return (f'- Write the answer: json.dump(answers, open("/work/{answer_file}", "w")), the values plain Python\n'
                "  (int(x), float(x), str(x), x.tolist(): json cannot write numpy values).")  # fmt: skip
    return (f'- Write the table: pd.DataFrame({{"cell_id": adata.obs_names, "value": values}})'
            f'.to_csv("/work/{answer_file}", index=False), with the columns the task names.')  # fmt: skip


class AnswerError(ValueError):
    """The submitted answer does not fit the task's answer schema; the message goes back to the model."""


@dataclass
class Score:
    metric: str
    value: float
    target: float
    metrics: dict[str, float]

    @property
    def passed(self) -> bool:
        return self.value >= self.target

    def to_record(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


DEFAULT_CONTROLLER = """\
Controller mode: each reply is one proposal, a ```python block that computes the answer and writes
/work/{name}. The harness runs it and checks that a valid answer was written.
"""
DIRECT_ANSWER = """\
How to reply: one ```python block that does all of this and writes /work/{name}{as_described}.
It runs once, as it stands; nothing it prints is shown to anyone.
"""
DEFAULT_MEASURE = """\
import json as _json, os as _os, shutil as _shutil
_written = _os.path.isfile("/work/{name}")
if _written:
    _shutil.copyfile("/work/{name}", "/work/proposal_{iteration}_{name}")
_json.dump({{"answer_written": float(_written)}}, open("/work/measure_{iteration}.json", "w"))
"""


def reported_metrics(raw: dict[str, Any]) -> dict[str, float]:
    """For measurements no agent code can touch (JSON proposals), or that it gains nothing by faking
    (whether a valid answer file exists is checked again when the answer is parsed)."""
    return {key: float(value) for key, value in raw.items()}


@dataclass
class ControllerSpec:
    """How a task runs in controller mode: what one proposal is, and how the harness measures it.

    `measure(iteration, proposal)` is code run after the proposal (for code proposals) or instead of
    it (for JSON proposals), in a fresh session no earlier proposal touched. It writes the raw
    outputs of the measurement (predictions, printed values; never a metric, never the hidden truth)
    to /work/measure_{iteration}.json, and the iteration's answer file. `score(raw)` turns them into
    the metrics the agent sees, here in the harness: a proposal can choose its outputs, not its score.
    """

    instructions: str
    proposal: Literal["code", "json"]
    metric: str  # higher is better
    target: float
    measure: Callable[[int, str], str] | None
    answer: Callable[[int], str]  # the text parse_answer gets for that iteration's output
    score: Callable[[dict[str, Any]], dict[str, float]] = reported_metrics
    # Instead of measure/score: the harness measures by calling into the session itself (HumanEval:
    # examples evaluated here, the function called there). (session, iteration, proposal) -> metrics.
    probe: Callable[[Sandbox, int, str], dict[str, float]] | None = None
    # What of a code proposal runs: HumanEval keeps the definitions it submits, not the model's own
    # tests (whose wrong expectations would fail a correct function).
    runnable: Callable[[str], str] = lambda proposal: proposal
    # A code proposal that writes the task's own answer file needs the task's answer format (its
    # header, keys); a proposal of another kind (a JSON config, a predict function) does not.
    keeps_answer_format: bool = False


@dataclass
class PreparedTask:
    prompt: str
    data_dir: Path
    documents: tuple[str, ...] = ()  # reference texts the `retrieve` tool searches (for every policy)


class Task(ABC):
    config_class: ClassVar[type[TaskConfig]]
    metric: ClassVar[str]
    description: ClassVar[str]
    folder: ClassVar[Path]  # where the task's scripts (baseline.py, reference.py, trivial.py) live
    answer_text: ClassVar[str]  # the final answer its scripts' output is submitted with
    code_answer: ClassVar[bool] = False  # the answer is code itself (HumanEval), not a file code writes
    answer_function: str | None = None  # for a code answer: the function it must define (set by prepare)
    target_text: ClassVar[str]  # the default target, for --list-tasks

    def __init__(self, config: TaskConfig, seed: int) -> None:
        self.config = config
        self.seed = seed

    @property
    @abstractmethod
    def target(self) -> float: ...

    @abstractmethod
    def prepare(self, workspace: Path) -> PreparedTask: ...

    @abstractmethod
    def parse_answer(self, text: str, workdir: Path) -> BaseModel:
        """Validates a submitted answer; raises AnswerError with a message meant for the model."""

    @abstractmethod
    def grade(self, answer: BaseModel | None) -> Score:
        """Scores an answer against the hidden truth; None (no answer) scores like an empty one."""

    clarifications: ClassVar[dict[str, str]] = {}  # keywords (|-separated) -> answer
    primer: ClassVar[str] = ""  # the task family's API basics, for the `primer` scaffold piece; see primer_text
    preload: ClassVar[tuple[str, ...]] = ("numpy as np", "pandas as pd")  # imports for `preload: "task"`
    # Files inside installed packages that the ground truth comes from, as (package, path in it).
    # They are listed in benchmarks/sources_manifest.json and must never be readable in a sandbox.
    sources: ClassVar[tuple[tuple[str, str], ...]] = ()

    def primer_text(self) -> str:
        """The primer, its `{answer_line}` showing how to write this task's own answer file: a
        placeholder's name was copied (the 0.5B wrote its cell-cycle answer to /work/file.csv at 9
        steps of 10)."""
        return self.primer.replace("{answer_line}", how_to_write(self.answer_text))

    def clarify(self, question: str) -> str:
        """Answers a clarifying question from the task's notes: the entry sharing most keywords."""
        words = set(re.findall(r"\w+", question.lower()))
        best = max(self.clarifications.items(), key=lambda kv: len(words & set(kv[0].split("|"))), default=None)
        if best is None or not words & set(best[0].split("|")):
            return "No further information is available; use your best judgment."
        return best[1]

    def controller(self) -> ControllerSpec | None:
        """The controller-mode contract. By default (the single-shot loop): each proposal is code that
        writes the answer file, and the only visible measure is whether a valid answer was written."""
        name = self.answer_text
        return ControllerSpec(
            instructions=DEFAULT_CONTROLLER.format(name=name),
            proposal="code",
            metric="answer_written",
            target=1.0,
            measure=lambda iteration, proposal: DEFAULT_MEASURE.format(name=name, iteration=iteration),
            answer=lambda iteration: f"proposal_{iteration}_{name}",
            keeps_answer_format=True,
        )

    def direct_prompt(self, prepared: PreparedTask) -> str:
        """The one message of direct mode: the task, answered by one block of code that runs once."""
        kept = self.answer_format(prepared.prompt)
        between = f"{kept}\n\n" if kept else ""
        how = DIRECT_ANSWER.format(name=self.answer_text, as_described=" as described above" if kept else "")
        return f"{without_answer_section(prepared.prompt)}\n{between}{how}"

    def answer_format(self, prompt: str) -> str:
        """The prompt's Answer section without how the agentic protocol submits it, when it says how
        to write the answer file (its header, its keys): what a mode that submits for the agent must
        still tell. A section that only says how to submit (smoke_sum's) keeps nothing."""
        _, found, section = prompt.partition(ANSWER_SECTION)
        if not found or f"/work/{self.answer_text}" not in section:
            return ""
        return SUBMISSION.sub("", "Answer:" + section).rstrip()

    def script(self, name: str) -> str:
        """Source of a script shipped next to the task (baseline.py, reference.py)."""
        return (self.folder / f"{name}.py").read_text()

    def grade_script(self, name: str, data_dir: Path, workdir: Path) -> Score:
        """Runs one of the task's scripts in a fresh sandbox, as agent code runs, and grades the
        answer it wrote as an agent's answer is graded."""
        from ctxbench.sandbox import SandboxConfig, make_sandbox

        with make_sandbox(SandboxConfig(cell_timeout_s=SCRIPT_TIMEOUT_S), workdir, data_dir) as box:
            result = box.run_cell(self.script(name))
        if result.outcome != "ok":
            raise HarnessError(f"{self.folder.name}/{name}.py failed: {result.render()[-500:]}")
        return self.grade(self.parse_answer(self.answer_text, workdir))


TASKS: Registry[type[Task]] = Registry("task")
SCRIPT_TIMEOUT_S = 300  # a reference solution may fit a model on the whole dataset
ANSWER_SECTION = "\nAnswer:"  # task prompts end with how to answer; controller mode replaces that part


# How the agentic protocol submits ("..., then reply: FINAL_ANSWER: clusters.csv"): a mode that
# submits for the agent drops it, and keeps what it follows, the answer file's format (Task.answer_format).
SUBMISSION = re.compile(r",?\s*then (?:reply|submit with the line):?\s*FINAL_ANSWER:[^\n]*")


def without_answer_section(prompt: str) -> str:
    return prompt.split(ANSWER_SECTION)[0].rstrip() + "\n"


def inside_workdir(workdir: Path, name: str, must_exist: bool = True) -> Path:
    """Resolves a path the agent gave (relative, or under /work) within the work dir only."""
    relative = name.strip()
    if relative == "/work" or relative.startswith("/work/"):
        relative = relative[len("/work") :]
    relative = relative.lstrip("/") or "."
    path = (workdir / relative).resolve()
    if not path.is_relative_to(workdir.resolve()):
        raise AnswerError(f"path must be inside /work, got {name!r}")
    if must_exist and not path.exists():
        raise AnswerError(f"/work/{relative} does not exist")
    return path
