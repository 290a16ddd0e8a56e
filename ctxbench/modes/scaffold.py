"""Scaffolding for small models: each piece switchable on its own (config `scaffold`, flag
`--scaffold`), so what each changes can be measured apart (scripts/measure_issue15.sh).

- repeat_guard: a reply identical to one that already failed (its code raised, or its answer was
  not accepted) is not run again; the model is told so, with that failure's line, and its history keeps a one-line placeholder instead
  of another copy (small models resend a failed reply word for word, and each copy in the context
  makes the next one likelier: at temperature 0.9 with no truncation the 0.5B model still copied a
  260-token reply 4 times out of 4).
- error_first: a failed run's observation starts with its exception line, before the traceback
  and output that bury it, and a NameError of a name that is an installed module says to import
  it (measured: the 0.5B model used `anndata` without importing it, ten steps running).
- retry_temperature: the call after a failure samples at this temperature (a greedy or cool model
  otherwise repeats itself).
- worked_example: the text protocol's system prompt ends with a short worked exchange (seen: the
  0.5B model copies the example's text into its own code).
- preload: modules imported into the session before the first step, and named in the system
  prompt (measured: the 0.5B model called `anndata.read_h5ad` without `import anndata` in every
  step of 3 pbmc_markers episodes, hint or not).
"""

import importlib.util
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    repeat_guard: bool = Field(False, description="Do not rerun a reply identical to one that failed; say so")
    error_first: bool = Field(False, description="Start a failed run's observation with its exception line")
    retry_temperature: float | None = Field(
        None, ge=0.0, le=2.0, description="Temperature of the call after a failure (None: the model's)"
    )
    worked_example: bool = Field(False, description="A worked example of the text protocol in the system prompt")
    preload: list[str] = Field(
        default_factory=list,
        description='Imports run before the first step and named in the system prompt, e.g. ["anndata", "numpy as np"]',
    )

    @field_validator("preload")
    @classmethod
    def _plain_imports(cls, value: list[str]) -> list[str]:
        for item in value:
            if not PRELOAD_ITEM.fullmatch(item):
                raise ValueError(f"{item!r} is not `module` or `module as name`")
        return value

    def preload_code(self) -> str:
        return "\n".join(f"import {item}" for item in self.preload)

    def preload_note(self) -> str:
        return f"\nAlready imported in the session: {', '.join(self.preload)}.\n" if self.preload else ""


def exception_line(result: CellResult) -> str:
    """The last `SomeError: message` line of a failed run (its error, else its stderr)."""
    for text in (result.error or "", result.stderr or ""):
        lines = EXCEPTION_LINE.findall(text)
        if lines:
            return lines[-1].strip()
    last = (result.error or result.outcome).strip().splitlines()
    return last[-1] if last else ""


NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")


def error_summary(result: CellResult) -> str:
    """The exception line, with a hint when a module was used without being imported."""
    line = exception_line(result)
    missing = NAME_ERROR.search(line)
    if missing and importlib.util.find_spec(missing.group(1)) is not None:
        line += f" (`{missing.group(1)}` is a module: `import {missing.group(1)}` first)"
    return line


def normalized(text: str) -> str:
    return " ".join(text.split())


class RepeatGuard:
    """Remembers replies that failed (their code, or the answer they submitted), and what they failed with."""

    def __init__(self) -> None:
        self.failed: dict[str, tuple[int, str]] = {}

    def seen_failing(self, reply: str) -> tuple[int, str] | None:
        return self.failed.get(normalized(reply))

    def placeholder(self, reply: LLMReply) -> str | None:
        """What the history shows of a repeated failed reply (None: the reply itself)."""
        earlier = self.seen_failing(reply.text)
        return f"[the same reply as at step {earlier[0]}, not run again]" if earlier else None

    def remember(self, reply: str, step: int, failure: str | None) -> None:
        if failure is not None:
            self.failed.setdefault(normalized(reply), (step, failure))


def failure_of(result: CellResult | None, rejection: str | None) -> str | None:
    """What a step failed with: its code's exception line, else why its answer was not accepted."""
    if result is not None and result.outcome != "ok":
        return exception_line(result)
    return f"answer not accepted: {rejection}" if rejection else None
