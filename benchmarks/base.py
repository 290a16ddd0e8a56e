"""The task protocol: data the agent may see, a grader whose ground truth it never sees.

A task prepares its data into `workspace/data` (mounted read-only into the sandbox) and keeps its
ground truth in memory and in `workspace/hidden` (never mounted). Its baseline and reference are
scripts run in the sandbox like agent code; they write the answer the grader reads.
"""

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ctxbench.registry import Registry


class TaskConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


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


@dataclass
class PreparedTask:
    prompt: str
    data_dir: Path
    documents: tuple[str, ...] = ()  # reference texts retrieval policies may search


class Task(ABC):
    config_class: ClassVar[type[TaskConfig]]
    metric: ClassVar[str]
    description: ClassVar[str]
    folder: ClassVar[Path]  # where the task's scripts (baseline.py, reference.py) live

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

    def script(self, name: str) -> str:
        """Source of a script shipped next to the task (baseline.py, reference.py)."""
        return (self.folder / f"{name}.py").read_text()


TASKS: Registry[type[Task]] = Registry("task")
