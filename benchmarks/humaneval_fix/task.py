"""HumanEval repair (like HumanEvalFix "with tests", built from HumanEval itself): the agent gets a
buggy version of a problem's canonical solution, with the docstring and its examples, and returns
the fixed function; HumanEval's official check grades it. Each bug is one seeded AST mutation (a
flipped comparison, an off-by-one, a wrong operator, a dropped branch) kept only if it fails the
official tests (benchmarks/humaneval_fix/mutants.json, made by scripts/make_humaneval_fix.py).
The buggy function is the only version of the solution the agent can reach."""

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from benchmarks.base import TASKS, PreparedTask
from benchmarks.common import data_folder
from benchmarks.humaneval.task import HumanEval, HumanEvalConfig, load_problems
from ctxbench.errors import ConfigError

MUTANTS_FILE = Path(__file__).with_name("mutants.json")

PROMPT = """\
Task ({task_id}, repair): the function below has a bug; its code fails the hidden tests. Fix it:
keep its name and signature, change as little as needed. The docstring says what it must do.

```python
{buggy}```

The same code is in /data/buggy.py. Answer: reply with one ```python block holding the complete
fixed function, followed by print() calls of the docstring's examples: the harness runs it and
shows you the output. When the output is right, submit the function with this line (the last code
you ran that defines {entry_point} is submitted):
FINAL_ANSWER: {entry_point}
"""

DIRECT_PROMPT = """\
The following Python function has a bug. Please provide a self-contained Python script with the
fixed function in a markdown code block:
```
{buggy}```
"""


@cache
def load_mutants() -> dict[int, dict[str, Any]]:
    """problem index -> {operator, site, code}, for every problem that has a failing mutant."""
    return {int(problem): mutant for problem, mutant in json.loads(MUTANTS_FILE.read_text())["mutants"].items()}


def fix_problems() -> list[int]:
    return sorted(load_mutants())


class HumanEvalFixConfig(HumanEvalConfig):
    name: Literal["humaneval_fix"] = "humaneval_fix"  # type: ignore[assignment]
    problem: int = Field(0, ge=0, le=163, description="Index into HumanEval; a problem without a mutant is refused")

    @model_validator(mode="after")
    def _has_a_mutant(self) -> "HumanEvalFixConfig":
        if self.problem not in load_mutants():
            raise ConfigError(f"humaneval_fix has no buggy version of problem {self.problem} (no mutation of its "
                              f"solution fails the official tests); problems: {fix_problems()[:10]}...")  # fmt: skip
        return self


@TASKS.register("humaneval_fix")
class HumanEvalFix(HumanEval):
    config_class = HumanEvalFixConfig
    description = "repair a seeded bug in a HumanEval solution; pass@1 with the official check"
    folder = Path(__file__).parent
    target_text = "all official tests pass"
    config: HumanEvalFixConfig

    def prepare(self, workspace: Path) -> PreparedTask:
        self._problem = load_problems()[self.config.problem]
        self._mutant = load_mutants()[self.config.problem]
        self.answer_function = self._problem["entry_point"]
        data_dir = data_folder(workspace)
        (data_dir / "buggy.py").write_text(self._mutant["code"])
        prompt = PROMPT.format(task_id=self._problem["task_id"], buggy=self._mutant["code"],
                               entry_point=self._problem["entry_point"])  # fmt: skip
        return PreparedTask(prompt=prompt, data_dir=data_dir)

    def script(self, name: str) -> str:
        """Reference: the canonical solution; baseline: the buggy function returned as it is."""
        body = {
            "reference": self._problem["prompt"] + self._problem["canonical_solution"],
            "baseline": self._mutant["code"],
            "trivial": "",
        }[name]
        return f"open('/work/solution.py', 'w').write({body!r})\n"

    def direct_prompt(self, prepared: PreparedTask) -> str:
        return DIRECT_PROMPT.format(buggy=self._mutant["code"])
