from ctxbench.llm.base import LLMReply, ToolCall, Usage
from ctxbench.protocols.native import NativeProtocol
from ctxbench.protocols.text import TextProtocol
from ctxbench.tools import TOOLS

ALL = list(TOOLS)


def reply(text: str = "", finish: str = "stop", calls=()) -> LLMReply:
    return LLMReply(text, finish, Usage(), 0.0, 0.0, "m", list(calls))


def text(message: str, finish: str = "stop"):
    return TextProtocol().parse(reply(message, finish), ALL)


def test_first_python_block_runs_and_extra_blocks_are_noted():
    parsed = text("look:\n```python\nprint(1)\n```\nand\n```\nx = 2\n```\n")
    assert [(c.name, c.args) for c in parsed.calls] == [("run_python", {"code": "print(1)\n"})]
    assert parsed.notes == ["[only the first code block was run; 1 more were ignored]"]


def test_final_answer_line_variants():
    for message in [
        "FINAL_ANSWER: predictions.csv",
        "**FINAL ANSWER:** predictions.csv",
        "final_answer:predictions.csv ",
    ]:
        assert [(c.name, c.args) for c in text(message).calls] == [("final_answer", {"answer": "predictions.csv"})]


def test_final_answer_inside_code_block():
    printed = text('```python\nprint("FINAL_ANSWER: x")\n```')
    assert [c.name for c in printed.calls] == ["run_python"]
    line = text("```python\nsave()\nFINAL_ANSWER: predictions.csv\n```")
    assert [c.name for c in line.calls] == ["run_python", "final_answer"]
    assert "FINAL_ANSWER" not in line.calls[0].args["code"]


def test_actions_call_the_other_tools():
    assert text("ACTION: list_files").calls[0].args == {"path": "."}
    assert text("ACTION: read_file predictions.csv").calls[0].args == {"path": "predictions.csv"}
    assert text("ACTION: retrieve louvain error").calls[0].args == {"query": "louvain error"}
    assert text("**ACTION:** ask_clarifying which metric?").calls[0].args == {"question": "which metric?"}


def test_malformed_text_replies_are_problems_of_each_kind():
    assert text("   ").problems[0].kind == "empty_reply"
    assert text("I will now load the data.").problems[0].kind == "no_action"
    assert text("```python\n   \n```").problems[0].kind == "no_action"
    assert text("```python\nimport anndata\nadata = anndata.re", finish="length").problems[0].kind == "truncated"
    unknown = text("ACTION: launch_rocket now")
    assert unknown.problems[0].kind == "unknown_tool" and "list_files" in unknown.problems[0].message


def test_system_prompt_lists_only_offered_tools():
    prompt = TextProtocol().system_prompt(["run_python", "read_file", "final_answer"])
    assert "ACTION: read_file <path>" in prompt and "ask_clarifying" not in prompt


def native(*calls: ToolCall, message: str = "", finish: str = "tool_calls"):
    return NativeProtocol().parse(reply(message, finish, calls), ALL)


def test_native_calls_and_their_problems():
    ok = native(ToolCall("c1", "run_python", '{"code": "1+1"}'))
    assert [(c.name, c.args, c.id) for c in ok.calls] == [("run_python", {"code": "1+1"}, "c1")]
    assert native(ToolCall("c1", "run_python", '{"code": ')).problems[0].kind == "bad_json"
    assert native(ToolCall("c1", "fly", "{}")).problems[0].kind == "unknown_tool"
    two = native(ToolCall("a", "list_files", "{}"), ToolCall("b", "list_files", "{}"))
    assert [c.id for c in two.calls] == ["a"] and [(p.kind, p.tool_call_id) for p in two.problems] == [
        ("extra_call", "b")
    ]
    assert native(message="").problems[0].kind == "empty_reply"
    assert native(message="thinking...", finish="stop").problems[0].kind == "no_action"
    assert native(message="thinking...", finish="length").problems[0].kind == "truncated"
    schemas = NativeProtocol().tool_schemas(["run_python"])
    assert schemas[0]["function"]["parameters"]["required"] == ["code"]


def test_final_answer_followed_by_a_code_block_submits_the_code():
    parsed = text("Done.\nFINAL_ANSWER:\n```python\ndef f(x):\n    return x\n```")
    assert [(c.name, c.args) for c in parsed.calls] == [("final_answer", {"answer": "def f(x):\n    return x\n"})]


def test_text_protocol_reads_a_bullet_label_as_the_action_it_names():
    # Seen with the 1.5B model: "Submit: clusters.csv" and "Ask_clarifying: ..." after the system
    # prompt's bullets, instead of the FINAL_ANSWER / ACTION syntax they describe.
    tools = ["run_python", "ask_clarifying", "final_answer"]
    (submit,) = TextProtocol().parse(reply("Submit: clusters.csv"), tools).calls
    assert (submit.name, submit.args) == ("final_answer", {"answer": "clusters.csv"})
    (ask,) = TextProtocol().parse(reply("Ask_clarifying: are labels given?"), tools).calls
    assert (ask.name, ask.args) == ("ask_clarifying", {"question": "are labels given?"})
    assert TextProtocol().parse(reply("Retrieve: old notes"), tools).problems[0].kind == "no_action"


def test_a_final_answer_line_inside_the_code_is_never_run_even_with_one_outside():
    text = "```python\ndf.to_csv('/work/p.csv')\nFINAL_ANSWER: p.csv\n```\nFINAL_ANSWER: p.csv"
    run, submit = TextProtocol().parse(reply(text), ["run_python", "final_answer"]).calls
    assert "FINAL_ANSWER" not in run.args["code"] and "to_csv" in run.args["code"]
    assert submit.args == {"answer": "p.csv"}


def test_code_that_starts_on_the_final_answer_line_is_the_submission():
    # Seen with the 0.5B model: the function's `def` on the FINAL_ANSWER line, its body below it,
    # inside a block; the body alone then ran and raised IndentationError.
    code = 'def sort_even(l: list):\n    """Sort."""\n    return sorted(l)\n'
    for message in [f"```python\nFINAL_ANSWER: {code}```", f"FINAL_ANSWER: {code}", f"```\nFINAL_ANSWER: {code}```\n!"]:
        assert [(c.name, c.args) for c in text(message).calls] == [("final_answer", {"answer": code})]
    prose = text("FINAL_ANSWER: from the clusters, 3 groups")
    assert prose.calls[0].args == {"answer": "from the clusters, 3 groups"}


def test_a_block_holding_only_a_submission_line_submits_and_the_code_before_it_runs():
    # Seen with the 1.5B model on tcr_clonotypes: analysis code, a `### Final Answer:` heading, then a
    # block of one commented line. The block was taken as a code answer and the analysis never ran.
    message = ("```python\nimport pandas as pd\nprint(1)\n```\n### Final Answer:\nThe answer is in the file.\n"
               "```python\n# FINAL_ANSWER: clonotypes.json\n```")  # fmt: skip
    run, submit = text(message).calls
    assert (run.name, run.args) == ("run_python", {"code": "import pandas as pd\nprint(1)\n"})
    assert (submit.name, submit.args) == ("final_answer", {"answer": "clonotypes.json"})
    second = text("```python\nsave()\n```\n```python\nFINAL_ANSWER: p.csv\n```")
    assert [c.name for c in second.calls] == ["run_python", "final_answer"] and second.notes == []
    assert text("### Final Answer:\n```python\ndef f(x):\n    return x\n```").calls[0].args == {
        "answer": "def f(x):\n    return x\n"
    }  # a heading over a code block is still a code answer


def test_a_shell_block_calls_run_bash_only_when_it_is_offered():
    with_bash = ["run_python", "run_bash", "final_answer"]
    (call,) = TextProtocol().parse(reply("List them:\n```bash\nls -la /data\n```"), with_bash).calls
    assert (call.name, call.args) == ("run_bash", {"command": "ls -la /data\n"})
    both = TextProtocol().parse(reply("```sh\nls\n```\nthen\n```python\nprint(1)\n```"), with_bash)
    assert [(c.name, c.args) for c in both.calls] == [("run_python", {"code": "print(1)\n"})]
    assert both.notes == ["[only the first code block was run; 1 more were ignored]"]
    (action,) = TextProtocol().parse(reply("ACTION: run_bash wc -l /data/x.csv"), with_bash).calls
    assert (action.name, action.args) == ("run_bash", {"command": "wc -l /data/x.csv"})
    without = TextProtocol().parse(reply("```bash\nls -la /data\n```"), ["run_python", "final_answer"])
    assert without.problems[0].kind == "no_action"  # as before run_bash existed
    assert "```bash" in TextProtocol().system_prompt(with_bash)


def test_all_blocks_runs_a_plan_written_as_several_blocks_as_one_cell_in_order():
    # Seen with the 1.5B on pbmc_questions: load, then count, then write, each in its own block;
    # only the load ran, and the answer file was never written.
    plan = "1. Load:\n```python\nimport anndata\n```\n2. Count:\n```python\nn = 11\n```\nFINAL_ANSWER: answers.json"
    run, submit = TextProtocol(join_blocks=True).parse(reply(plan), ["run_python", "final_answer"]).calls
    assert run.args == {"code": "import anndata\nn = 11\n"} and submit.args == {"answer": "answers.json"}
    parsed = TextProtocol().parse(reply(plan), ["run_python", "final_answer"])
    assert parsed.calls[0].args == {"code": "import anndata\n"}  # off by default: the first block only
    assert parsed.notes == ["[only the first code block was run; 1 more were ignored]"]


def test_a_submission_statement_running_over_lines_inside_a_block_goes_whole_and_the_code_still_runs():
    # Seen with the 0.5B on tcr_clonotypes: `FINAL_ANSWER: {` opened a dict over the next lines
    # (valid Python, an annotation); blanking its first line alone left an IndentationError.
    block = 'counts = {"a": 1}\nif counts:\n    FINAL_ANSWER: {\n        "n": 3,\n    }\nprint(counts)\n'
    parsed = text(f"```python\n{block}```")
    code = parsed.calls[0].args["code"]
    compile(code, "<cell>", "exec")  # raises on an indented remainder or an empty `if` body
    assert "FINAL_ANSWER" not in code and "print(counts)" in code and "    pass" in code
    assert [c.name for c in parsed.calls] == ["run_python", "final_answer"]


def test_a_block_opened_twice_is_one_block_not_an_empty_one():
    parsed = text("```python\n```python\nx = 1\nprint(x)\n```")
    assert [(c.name, c.args) for c in parsed.calls] == [("run_python", {"code": "x = 1\nprint(x)\n"})]


def test_the_final_answer_token_is_taken_before_a_comment_in_looser_words():
    # Seen with the 0.5B model on smoke_sum (2 of 5 ladder episodes): the comment above the submission
    # line was taken as the answer, "/work/the sum itself as your final answer does not exist".
    message = "```python\nprint(total)\n\n# Final answer: the sum itself\nFINAL_ANSWER: 22010\n```"
    run, submit = text(message).calls
    assert submit.args == {"answer": "22010"} and "Final answer" not in run.args["code"]
    commented = text("```python\nprint(total)\n# Final answer: the sum itself\n```")
    assert [c.name for c in commented.calls] == ["run_python"]  # a comment in code submits nothing
    inside_first = text("Final answer: see below\n```python\nsave()\nFINAL_ANSWER: p.csv\n```")
    assert inside_first.calls[-1].args == {"answer": "p.csv"}
    assert text("```python\nsave()\n```\n**Final Answer:** p.csv").calls[-1].args == {"answer": "p.csv"}


def test_a_bare_final_answer_heading_submits_the_line_below_it():
    # Seen with the 1.5B on tcr_clonotypes: "FINAL ANSWER:" with the file name on the next line, refused
    # twice as an empty answer.
    assert text("FINAL ANSWER:\nclonotypes.json").calls[0].args == {"answer": "clonotypes.json"}
    assert text("FINAL_ANSWER:\n\n  42  \nthanks").calls[0].args == {"answer": "42"}
    assert text("FINAL_ANSWER:").calls[0].args == {"answer": ""}  # nothing below: still an empty answer
