"""The text tool protocol for small local models: a fenced python block runs code, an
`ACTION: <tool> <argument>` line calls another tool, a `FINAL_ANSWER:` line submits.
Parsing never raises: a reply with none of these is a Problem."""

import ast
import itertools
import re

from ctxbench.llm.base import LLMReply
from ctxbench.protocols.base import Call, Parsed, Problem
from ctxbench.tools import TOOLS

CODE_BLOCK = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
SHELL_BLOCK = re.compile(r"```[ \t]*(?:bash|sh|shell|console)[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
# `Submit:` too: small models answer with the label of the system prompt's bullet instead of its syntax.
FINAL_LINE = re.compile(
    r"^[ \t>*#]*(?:FINAL[_ ]ANSWER|SUBMIT)[* \t]*:[* \t]*(.*?)[* \t]*$", re.IGNORECASE | re.MULTILINE
)
ACTION_LINE = re.compile(r"^[ \t>*#]*ACTION[* \t]*:[* \t]*(\w+)[ \t]*(.*?)[* \t]*$", re.IGNORECASE | re.MULTILINE)

SYSTEM_PROMPT = """\
You are a data analyst working in a Python sandbox. Each reply does one thing:

- To run code, write exactly one fenced block
```python
# your code
```
The harness runs it in a persistent Python session (variables stay between steps) and replies with
its output. Print what you need to see. The session has no internet access.
{actions}
- To submit, when the task is done, reply with a line
FINAL_ANSWER: <answer>
  (if the answer is code, put `FINAL_ANSWER:` alone on a line, followed by one ```python block)

Work step by step: look at the data, then write the code that solves the task, then submit.
"""

NO_ACTION_HELP = "Reply with one ```python block to run code, or `FINAL_ANSWER: <answer>` to submit."


def tool_line(text: str, tool_names: list[str]) -> re.Match[str] | None:
    """A `<tool>: <argument>` line naming a tool without `ACTION:` (seen: `Ask_clarifying: ...`)."""
    names = "|".join(re.escape(n) for n in tool_names if n not in ("run_python", "final_answer"))
    pattern = rf"^[ \t>*#]*({names})[* \t]*:[* \t]*(.*?)[* \t]*$"
    return re.search(pattern, text, re.IGNORECASE | re.MULTILINE) if names else None


def _final_line(text: str, exact: bool = False, code: bool = False) -> re.Match[str] | None:
    """The first FINAL_ANSWER line that names an answer (a bare `FINAL_ANSWER:` names none).
    exact: only a line with the `FINAL_ANSWER` token itself; code: no comment in looser words (in
    code, `# Final answer: the sum itself` is a comment, and it was taken over the `FINAL_ANSWER:
    22010` line below it, in 2 of 5 smoke_sum episodes of the 0.5B)."""
    for match in FINAL_LINE.finditer(text):
        said_exactly = "FINAL_ANSWER" in match.group(0)
        if not match.group(1).strip() or (exact and not said_exactly):
            continue
        if code and not said_exactly and match.group(0).lstrip().startswith("#"):
            continue
        return match
    return None


def _submission_line(outside: str, blocks: list[str]) -> re.Match[str] | None:
    """The line a reply submits with: a `FINAL_ANSWER:` line before any looser one (`Final answer:`,
    `Submit:`), outside the code blocks before inside; a bare heading only when nothing names an answer."""
    candidates = itertools.chain(
        [_final_line(outside, exact=True)], (_final_line(block, exact=True) for block in blocks),
        [_final_line(outside)], (_final_line(block, code=True) for block in blocks), [FINAL_LINE.search(outside)],
    )  # fmt: skip
    return next(filter(None, candidates), None)


def line_after(heading: re.Match[str], text: str) -> str:
    """The line below a bare `FINAL ANSWER:` heading, the answer when the heading names none (seen
    with the 1.5B on tcr_clonotypes: "FINAL ANSWER:" and "clonotypes.json" on the next line, refused
    as an empty answer twice)."""
    return text[heading.end() :].lstrip("\n").split("\n", 1)[0].strip()


# A block opened twice ("```python" on two lines, seen with the 0.5B) is one block, not an empty one.
DOUBLED_FENCE = re.compile(
    r"(```[ \t]*(?:python|py|python3)[ \t]*\n)(?:[ \t]*```[ \t]*(?:python|py|python3)[ \t]*\n)+", re.IGNORECASE
)


def without_submission(block: str) -> str:
    """A code block without its FINAL_ANSWER lines. Where the line is a statement of its own that
    runs on (`FINAL_ANSWER: {` and a dict's lines below it, valid Python: an annotation), the whole
    statement goes (inside an `if`, replaced by `pass`): blanking its first line alone left an indented remainder,
    and the model was shown an IndentationError for code it never wrote."""
    try:
        tree = ast.parse(block)
    except SyntaxError:
        return FINAL_LINE.sub("", block)
    lines = block.splitlines(keepends=True)
    spans = [(node.lineno, node.end_lineno or node.lineno, node.col_offset) for node in ast.walk(tree)
             if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
             and FINAL_LINE.match(lines[node.lineno - 1])]  # fmt: skip
    for first, last, column in sorted(spans, reverse=True):
        lines[first - 1 : last] = [" " * column + "pass\n"] if column else []  # an inner block needs a body
    return FINAL_LINE.sub("", "".join(lines))


CODE_START = re.compile(r"(?:async\s+def|def|class|import)\s|from\s+[\w.]+\s+import\s|@\w")


def _submitted_code(text: str) -> str | None:
    """The code a FINAL_ANSWER line submits: the block after a bare `FINAL_ANSWER:`, or code that
    starts on the line itself and runs on to the closing fence (seen with the 0.5B model, inside a
    block: `FINAL_ANSWER: def sort_even(l: list):` and the function's body below it)."""
    for match in FINAL_LINE.finditer(text):
        argument = match.group(1).strip()
        if not argument:
            block = CODE_BLOCK.search(text, match.end())
            # A block that holds a submission line of its own is that submission, not code (seen with
            # the 1.5B: a `### Final Answer:` heading, then a block `# FINAL_ANSWER: clonotypes.json`).
            if block and block.group(1).strip() and not _final_line(block.group(1)):
                return str(block.group(1))
        elif CODE_START.match(argument):
            rest = text[match.end() :].split("```", 1)[0]
            return argument + rest
    return None


class TextProtocol:
    name = "text"

    def __init__(self, join_blocks: bool = False) -> None:
        # Small models often write a plan as several blocks meant to run in turn (load, compute,
        # write); by default only the first runs and the rest are noted as ignored.
        self.join_blocks = join_blocks

    error_help = "The code failed. Reply with a corrected, complete ```python block that fixes this error."

    def system_prompt(self, tool_names: list[str]) -> str:
        others = [TOOLS.get(n) for n in tool_names if n not in ("run_python", "final_answer")]
        actions = "".join(f"\n- {t.description}\n  {t.text_syntax}\n" for t in others)
        return SYSTEM_PROMPT.format(actions=actions)

    def tool_schemas(self, tool_names: list[str]) -> None:
        return None

    def parse(self, reply: LLMReply, tool_names: list[str]) -> Parsed:
        text = reply.text
        if not text.strip():
            return Parsed(problems=[Problem("empty_reply", "Your reply was empty. " + NO_ACTION_HELP)])
        parsed = Parsed()
        # Shell blocks, read only when run_bash is offered, are taken out first: the python block
        # pattern would otherwise read from a shell block's closing fence.
        commands = [c for c in SHELL_BLOCK.findall(text) if c.strip()] if "run_bash" in tool_names else []
        text = SHELL_BLOCK.sub("", text) if commands else text
        text = DOUBLED_FENCE.sub(r"\1", text)
        submitted_code = _submitted_code(text)
        if submitted_code is not None:  # the code after `FINAL_ANSWER:` is the answer
            return Parsed(calls=[Call("final_answer", {"answer": submitted_code})])
        blocks = CODE_BLOCK.findall(text)
        outside = CODE_BLOCK.sub("", text)
        # Small models often put the FINAL_ANSWER line inside a code block, or in a block of its own;
        # a line that *starts* with it is taken as the submission (a print of it stays code). It is
        # never run as code, even with a FINAL_ANSWER line outside too (seen: the line ran as an
        # annotated statement, `FINAL_ANSWER: predictions.csv`, and raised AttributeError).
        final = _submission_line(outside, blocks)
        blocks = [without_submission(block) for block in blocks]
        blocks = [b for b in blocks if b.strip()]
        runnable = blocks if "run_python" in tool_names else []
        if self.join_blocks and len(runnable) > 1:
            runnable = ["\n".join(block.rstrip("\n") for block in runnable) + "\n"]
            parsed.notes.append("[the reply's python blocks were run as one cell, in order]")
        if runnable or commands:
            call = Call("run_python", {"code": runnable[0]}) if runnable else Call("run_bash", {"command": commands[0]})
            parsed.calls.append(call)
            if ignored := len(runnable) + len(commands) - 1:
                parsed.notes.append(f"[only the first code block was run; {ignored} more were ignored]")
        elif (action := ACTION_LINE.search(outside) or tool_line(outside, tool_names)) is not None:
            name, argument = action.group(1).lower(), action.group(2).strip()
            if name not in tool_names:
                known = ", ".join(n for n in tool_names if n not in ("run_python", "final_answer"))
                return Parsed(problems=[Problem("unknown_tool", f"Unknown tool {name!r}. Tools: {known}.")])
            parsed.calls.append(Call(name, TOOLS.get(name).from_text(argument)))
        if final is not None:  # only a heading found in `outside` names no answer (_final_line skips bare ones)
            parsed.calls.append(Call("final_answer", {"answer": final.group(1).strip() or line_after(final, outside)}))
        if not parsed.calls:
            if reply.finish_reason == "length":
                cut = "Your reply was cut off at the token limit before it contained a complete code block. "
                return Parsed(problems=[Problem("truncated", cut + NO_ACTION_HELP)])
            return Parsed(problems=[Problem("no_action", "Your reply had no ```python code block and no "
                                            "FINAL_ANSWER line. " + NO_ACTION_HELP)])  # fmt: skip
        return parsed
