from ctxbench.protocols.text import parse_reply


def test_first_python_block_runs_and_extra_blocks_are_counted():
    action = parse_reply("look:\n```python\nprint(1)\n```\nand\n```\nx = 2\n```\n")
    assert action.code == "print(1)\n"
    assert action.extra_blocks == 1
    assert action.final_answer is None


def test_final_answer_line_variants():
    for text in [
        "FINAL_ANSWER: predictions.csv",
        "**FINAL ANSWER:** predictions.csv",
        "final_answer:predictions.csv  ",
    ]:
        assert parse_reply(text).final_answer == "predictions.csv", text


def test_final_answer_inside_code_is_code_not_submission():
    action = parse_reply('```python\nprint("FINAL_ANSWER: x")\n```')
    assert action.final_answer is None
    assert action.code is not None


def test_final_answer_line_inside_code_block_is_a_submission():
    action = parse_reply("```python\nsave()\nFINAL_ANSWER: predictions.csv\n```")
    assert action.code is not None and "FINAL_ANSWER" not in action.code and "save()" in action.code
    assert action.final_answer == "predictions.csv"


def test_code_and_final_answer_in_one_reply():
    action = parse_reply("```python\nsave()\n```\nFINAL_ANSWER: predictions.csv")
    assert action.code == "save()\n"
    assert action.final_answer == "predictions.csv"


def test_reply_without_code_or_answer_is_empty():
    assert parse_reply("I will now load the data.").is_empty
    assert parse_reply("```python\n   \n```").is_empty
