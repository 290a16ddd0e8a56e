"""smoke_sum's grader against answers that try their luck: only the exact sum, given as one integer
inline or in a file under /work, passes."""

import pytest

from benchmarks.base import AnswerError
from benchmarks.smoke_sum.task import SmokeSum, SmokeSumConfig


@pytest.fixture
def task_and_sum(tmp_path):
    task = SmokeSum(SmokeSumConfig(), seed=3)
    prepared = task.prepare(tmp_path / "task")
    total = sum(int(word) for word in (prepared.data_dir / "numbers.txt").read_text().split())
    return task, total


def test_the_sum_passes_inline_or_from_a_file(task_and_sum, tmp_path):
    task, total = task_and_sum
    assert task.grade(task.parse_answer(f" `{total}` ", tmp_path)).passed
    (tmp_path / "sum.txt").write_text(f"{total}\n")
    assert task.grade(task.parse_answer("/work/sum.txt", tmp_path)).passed
    assert not task.grade(task.parse_answer(str(total + 1), tmp_path)).passed
    assert not task.grade(None).passed


@pytest.mark.parametrize(
    "answer",
    ["12345.0", "1e5", "12,345", "", "9" * 5000, "../task/data/numbers.txt", "/etc/passwd", "sum.txt"],
)
def test_anything_but_one_integer_is_refused(task_and_sum, tmp_path, answer):
    task, _ = task_and_sum
    (tmp_path / "both.txt").write_text("1\n2\n")
    with pytest.raises(AnswerError):
        task.parse_answer(answer, tmp_path)
    with pytest.raises(AnswerError):  # a file holding several numbers (all of the data, say) is no sum
        task.parse_answer("both.txt", tmp_path)


def test_words_for_an_answer_are_refused_as_neither_a_sum_nor_a_file(task_and_sum, tmp_path):
    # Seen with the 0.5B: `FINAL_ANSWER: the sum itself` was refused as a missing file, and the model
    # then wrote a file named "the sum itself does not exist".
    task, _ = task_and_sum
    neither = r"expected the sum \(one integer\) or a file in /work holding it, got 'the sum itself', which is neither"
    with pytest.raises(AnswerError, match=neither):
        task.parse_answer("the sum itself", tmp_path)
