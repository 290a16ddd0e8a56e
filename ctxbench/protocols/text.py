"""The text tool protocol for small local models: a fenced python block runs code; a
`FINAL_ANSWER:` line submits. Parsing never raises: a reply with neither is a FormatError."""

import re
from dataclasses import dataclass

CODE_BLOCK = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
FINAL_LINE = re.compile(r"^[ \t>*#]*FINAL[_ ]ANSWER[* \t]*:[* \t]*(.*?)[* \t]*$", re.IGNORECASE | re.MULTILINE)

SYSTEM_PROMPT = """\
You are a data analyst working in a Python sandbox. Each reply does one of two things:

1. Run code: write exactly one fenced block
```python
# your code
```
The harness runs it in a persistent Python session (variables stay between steps) and replies with
its output. Print what you need to see. The session has no internet access.

2. Submit: when the task is done, reply with a line
FINAL_ANSWER: <answer>

Work step by step: look at the data, then write the code that solves the task, then submit.
"""

FORMAT_HELP = (
    "Your reply had no ```python code block and no FINAL_ANSWER line. "
    "Reply with one ```python block to run code, or `FINAL_ANSWER: <answer>` to submit."
)


@dataclass(frozen=True)
class Action:
    code: str | None  # the first python block, if any
    final_answer: str | None  # text after FINAL_ANSWER:, if any
    extra_blocks: int = 0  # further code blocks, which are not run

    @property
    def is_empty(self) -> bool:
        return self.code is None and self.final_answer is None


def parse_reply(text: str) -> Action:
    blocks = CODE_BLOCK.findall(text)
    match = FINAL_LINE.search(CODE_BLOCK.sub("", text))
    final = match.group(1).strip() if match else None
    if blocks:
        # Small models often put the FINAL_ANSWER line inside the code block; a line that *starts*
        # with it is taken as the submission (it would not be meaningful Python), e.g. a print stays code.
        inner = FINAL_LINE.search(blocks[0])
        if inner and final is None:
            final = inner.group(1).strip()
            blocks[0] = FINAL_LINE.sub("", blocks[0])
    blocks = [block for block in blocks if block.strip()]
    return Action(code=blocks[0] if blocks else None, final_answer=final, extra_blocks=max(0, len(blocks) - 1))
