"""Native tool calls (OpenAI function calling): the tools' pydantic argument models are the schemas."""

import json

from ctxbench.llm.base import LLMReply
from ctxbench.protocols.base import Call, Parsed, Problem
from ctxbench.tools import TOOLS

SYSTEM_PROMPT = """\
You are a data analyst working in a Python sandbox. Use the tools: run Python code in a persistent
session (variables stay between calls; no internet), inspect files, and submit with final_answer.
Call exactly one tool per reply. Work step by step: look at the data, solve the task, then submit.
"""


class NativeProtocol:
    name = "native"
    # Not "a ```python block": a model told so in native mode writes one, and it is no tool call.
    error_help = "The code failed. Call run_python again with corrected, complete code that fixes this error."

    def system_prompt(self, tool_names: list[str]) -> str:
        return SYSTEM_PROMPT

    def tool_schemas(self, tool_names: list[str]) -> list[dict]:
        return [TOOLS.get(n).schema() for n in tool_names]

    def parse(self, reply: LLMReply, tool_names: list[str]) -> Parsed:
        if not reply.tool_calls:
            if not reply.text.strip():
                return Parsed(problems=[Problem("empty_reply", "Your reply was empty. Call one of the tools.")])
            if reply.finish_reason == "length":
                return Parsed(
                    problems=[Problem("truncated", "Your reply was cut off at the token limit. Call a tool.")]
                )
            return Parsed(problems=[Problem("no_action", "Your reply called no tool. Call exactly one tool.")])
        parsed = Parsed()
        first, *extra = reply.tool_calls
        for call in extra:  # every tool call needs an answer, even the ones not run
            parsed.problems.append(Problem("extra_call", "Not run: call one tool per reply.", call.id))
        if first.name not in tool_names:
            parsed.problems.insert(0, Problem("unknown_tool", f"Unknown tool {first.name!r}. Tools: "
                                              f"{', '.join(tool_names)}.", first.id))  # fmt: skip
            return parsed
        try:
            args = json.loads(first.arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            parsed.problems.insert(0, Problem("bad_json", f"Arguments are not valid JSON: {exc}", first.id))
            return parsed
        parsed.calls.append(Call(first.name, args, first.id))
        return parsed
