"""The agent's tools in agentic mode: one small class each, registered by name.

A tool validates its arguments with a pydantic model (which is also its JSON schema under the
native protocol) and returns the observation text. `final_answer` ends the episode when the answer
is valid; otherwise the validation error goes back to the model.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from benchmarks.base import AnswerError, inside_workdir
from ctxbench.registry import Registry
from ctxbench.sandbox.base import CellResult


@dataclass
class ToolContext:
    """What a tool may do in an episode, and nothing more (the episode builds it)."""

    workdir: Path
    execute: Callable[[str], CellResult]  # run code in the sandbox session (counted and traced)
    shell: Callable[[str], CellResult]  # run a bash command in the same session (counted and traced)
    submit: Callable[[str], None]  # raises Submitted when valid, else AnswerError for the model to see
    clarify: Callable[[str], str]
    search: Callable[[str], str]  # BM25 over the episode's earlier steps and the task's documents
    last_result: CellResult | None = None  # of the newest run_python call
    last_rejection: str | None = None  # why the newest final answer was not accepted
    answer_file_asked: bool = True  # the task asks for its answer in a file (smoke_sum's may be the number)


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tool:
    name: ClassVar[str]
    description: ClassVar[str]
    args: ClassVar[type[Args]]
    text_syntax: ClassVar[str]  # how the text protocol calls it

    @classmethod
    def from_text(cls, argument: str) -> dict[str, Any]:
        """Arguments from the text protocol's `ACTION: name <argument>` line."""
        (field,) = cls.args.model_fields
        return {field: argument}

    def run(self, ctx: ToolContext, args: Any) -> str:
        raise NotImplementedError

    @classmethod
    def schema(cls) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": cls.name, "description": cls.description, "parameters": cls.args.model_json_schema()},
        }


TOOLS: Registry[type[Tool]] = Registry("tool")


def register(cls: type[Tool]) -> type[Tool]:
    """Registers a tool under its own `name` (one place for it)."""
    return TOOLS.register(cls.name)(cls)


class CodeArgs(Args):
    code: str = Field(description="Python code, run in the persistent session")


@register
class RunPython(Tool):
    name, args = "run_python", CodeArgs
    description = "Run Python code in a persistent session (variables persist). Data is read-only under /data."
    text_syntax = "```python\n<code>\n```"

    def run(self, ctx: ToolContext, args: CodeArgs) -> str:
        result = ctx.execute(args.code)
        ctx.last_result = result
        return "Output of your code:\n" + result.render()


class CommandArgs(Args):
    command: str = Field(description="A bash command, run in /work inside the sandbox")


@register
class RunBash(Tool):
    name, args = "run_bash", CommandArgs
    description = "Run a bash command in /work (the sandbox's shell: same limits, no network; /data read-only)."
    text_syntax = "```bash\n<command>\n```"

    def run(self, ctx: ToolContext, args: CommandArgs) -> str:
        result = ctx.shell(args.command)
        ctx.last_result = result
        return "Output of your command:\n" + result.render()


class PathArgs(Args):
    path: str = Field(".", description="A path inside the work dir /work")


@register
class ListFiles(Tool):
    name, args = "list_files", PathArgs
    description = "List the files of the work dir /work (or a folder inside it)."
    text_syntax = "ACTION: list_files [folder]"

    @classmethod
    def from_text(cls, argument: str) -> dict[str, Any]:
        return {"path": argument or "."}

    def run(self, ctx: ToolContext, args: PathArgs) -> str:
        folder = inside_workdir(ctx.workdir, args.path, must_exist=False)
        if not folder.is_dir():
            return f"not a folder: {args.path}"
        entries = sorted(folder.iterdir())
        lines = [f"{p.name}/" if p.is_dir() else f"{p.name}  ({p.stat().st_size} bytes)" for p in entries]
        return "\n".join(lines) or "(empty)"


class ReadArgs(Args):
    path: str = Field(description="A file inside the work dir /work")
    max_chars: int = Field(4000, ge=1, le=100_000)


@register
class ReadFile(Tool):
    name, args = "read_file", ReadArgs
    description = "Read a text file of the work dir /work."
    text_syntax = "ACTION: read_file <path>"

    @classmethod
    def from_text(cls, argument: str) -> dict[str, Any]:
        return {"path": argument}

    def run(self, ctx: ToolContext, args: ReadArgs) -> str:
        path = inside_workdir(ctx.workdir, args.path)
        text = path.read_text(errors="replace")
        cut = len(text) - args.max_chars
        return text[: args.max_chars] + (f"\n[... {cut} more characters]" if cut > 0 else "")


class QueryArgs(Args):
    query: str = Field(min_length=1, description="What to look for")


@register
class Retrieve(Tool):
    name, args = "retrieve", QueryArgs
    description = "Search your own earlier steps and the task's documents (BM25); returns the best matches."
    text_syntax = "ACTION: retrieve <query>"

    def run(self, ctx: ToolContext, args: QueryArgs) -> str:
        return ctx.search(args.query)


class QuestionArgs(Args):
    question: str = Field(min_length=1, description="A question about the task")


@register
class AskClarifying(Tool):
    name, args = "ask_clarifying", QuestionArgs
    description = "Ask a clarifying question about the task. Answers are kept and shown to you from then on."
    text_syntax = "ACTION: ask_clarifying <question>"

    def run(self, ctx: ToolContext, args: QuestionArgs) -> str:
        return ctx.clarify(args.question)


RESUBMIT_HELP = "Fix this (an answer file must first be written by code that runs without errors), then submit again."
RESUBMIT_HELP_NO_FILE = "Fix this, then submit again."


class AnswerArgs(Args):
    answer: str = Field(description="The final answer, in the form the task asks for")


@register
class FinalAnswer(Tool):
    name, args = "final_answer", AnswerArgs
    description = "Submit the final answer. It is checked against the task's answer schema."
    text_syntax = "FINAL_ANSWER: <answer>"

    def run(self, ctx: ToolContext, args: AnswerArgs) -> str:
        try:
            ctx.submit(args.answer)  # raises Submitted when valid
        except AnswerError as exc:
            ctx.last_rejection = str(exc)
            help_line = RESUBMIT_HELP if ctx.answer_file_asked else RESUBMIT_HELP_NO_FILE
            return f"Your answer was not accepted: {exc}. {help_line}"
        raise AssertionError("unreachable: submit either raises Submitted or AnswerError")
