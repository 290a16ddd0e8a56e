"""A smoke test of a model endpoint and tool protocol, not of analysis: the sum of 40 integers in a
text file, computed by running code and submitted as a number. Any model that can call a tool,
read its output and submit passes; one that cannot shows it here in seconds, before a sweep."""

import random
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from benchmarks.base import TASKS, AnswerError, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import read_answer_file

DATA_FILE = "numbers.txt"
INTEGER = re.compile(r"-?\d{1,30}")  # bounded: int() refuses strings of over 4,300 digits
COUNT = 40

# Says what to print, not only what to compute: told only to "compute" the sum, the 0.5B model
# wrote `return sum(numbers)` outside a function, and sent that same call until the step limit.
PROMPT = """\
Task: /data/{data_file} holds {count} integers, one per line. What is their sum?
Run Python code that reads the file and prints the sum, then submit the printed number as your final answer.

Answer: submit the sum itself as your final answer (or the name of a file in /work holding it).
"""


class SmokeSumConfig(TaskConfig):
    name: Literal["smoke_sum"] = "smoke_sum"


class Total(BaseModel):
    value: int


@TASKS.register("smoke_sum")
class SmokeSum(Task):
    config_class = SmokeSumConfig
    metric = "exact"
    description = "endpoint smoke test: run code that sums 40 integers in a file, submit the number"
    folder = Path(__file__).parent
    answer_text = "sum.txt"
    preload = ()  # a text file: nothing named pulls the model toward a library
    target_text = "the exact sum"

    @property
    def target(self) -> float:
        return 1.0

    def prepare(self, workspace: Path) -> PreparedTask:
        rng = random.Random(f"smoke_sum-{self.seed}")
        numbers = [rng.randint(100, 999) for _ in range(COUNT)]
        self._truth = sum(numbers)  # in memory only: the data is all the agent needs to find it
        data_dir = workspace / "data"
        data_dir.mkdir(parents=True)
        (data_dir / DATA_FILE).write_text("".join(f"{n}\n" for n in numbers))
        return PreparedTask(prompt=PROMPT.format(data_file=DATA_FILE, count=COUNT), data_dir=data_dir)

    def parse_answer(self, text: str, workdir: Path) -> Total:
        text = text.strip().strip("`'\"").strip()
        if not INTEGER.fullmatch(text):
            try:
                text = read_answer_file(workdir, text).strip()
            except AnswerError as exc:  # "/work/the sum itself does not exist" read as if a file were asked for
                raise AnswerError(f"expected the sum (one integer) or a file in /work holding it, got "
                                  f"{text[:80]!r}, which is neither ({exc})") from None  # fmt: skip
        if not INTEGER.fullmatch(text):
            raise AnswerError(f"expected one integer (the sum), got {text[:80]!r}")
        return Total(value=int(text))

    def grade(self, answer: BaseModel | None) -> Score:
        exact = float(isinstance(answer, Total) and answer.value == self._truth)
        return Score(self.metric, exact, self.target, {"exact": exact})
