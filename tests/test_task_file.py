"""Task files: the shipped example runs end to end and its answers are right, each grader gives the
credit it says, and every error in a file names its line and field."""

import json
import textwrap
from pathlib import Path

import anndata
import pytest

from benchmarks.base import AnswerError
from benchmarks.common import scanpy_dataset
from benchmarks.task_file.schema import Choice, Exact, Numeric, SetAnswer, load_task_file
from benchmarks.task_file.task import EXAMPLE, FileTask, FileTaskConfig, credit
from ctxbench.cli import apply_overrides, build_parser
from ctxbench.config import validate_config
from ctxbench.errors import ConfigError
from ctxbench.runner import run_episode
from ctxbench.sweep import SweepConfig, expand
from tests.conftest import needs_bwrap
from tests.test_episode_scripted import code, make_config

# What a careful analyst computes for the example's four questions, on the full dataset.
EXAMPLE_SOLUTION = """
import json
import anndata
obs = anndata.read_h5ad("/data/pbmc_questions.h5ad").obs
sizes = obs["louvain"].value_counts()
genes = obs.groupby("louvain", observed=True)["n_genes"].mean().sort_values(ascending=False)
answers = {"n_clusters": int(obs["louvain"].nunique()), "largest_cluster": str(sizes.index[0]),
           "g1_fraction": float(((obs["S_score"] < 0) & (obs["G2M_score"] < 0)).mean()),
           "richest_clusters": [str(c) for c in genes.index[:2]]}
json.dump(answers, open("/work/answers.json", "w"))
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(textwrap.dedent(text))
    return path


VALID = """\
name: t
dataset: scanpy:pbmc68k_reduced
keep_obs: [louvain]
prompt: |
  Data: /data/{data_file}
  {questions}
questions:
  - id: a
    ask: How many?
    grader: exact
    answer: 11
  - id: b
    ask: Which fraction?
    grader: numeric
    tolerance: 0.01
    answer: 0.5
"""


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("    tolerance: 0.01", "    tolerance: -1", ":15: questions.1.tolerance: Input should be greater than"),
        ("    grader: exact", "    grader: fuzzy", ":10: questions.0.grader: Input tag 'fuzzy' found"),
        ("    answer: 11\n", "    answer: 11\n    weight: 2\n", ":12: questions.0.weight: Extra inputs are not"),
        ("  {questions}\n", "\n", ":1: file: Value error, the prompt must contain {questions}"),
        ("keep_obs: [louvain]", "keep_obs: [louvain]\nhide_obs: [x]", ":1: file: Value error, give keep_obs or"),
        ("  - id: b", "  - id: a", ":1: file: Value error, question ids repeat: ['a']"),
        ("dataset: scanpy:pbmc68k_reduced\n", "", ":1: dataset: Field required"),
        ("keep_obs: [louvain]", "keep_obs: [louvain", ":4: not valid YAML"),
    ],
)  # fmt: skip
def test_an_error_in_a_task_file_names_its_line_and_field(tmp_path, old, new, where):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        load_task_file(path)
    assert f"{path}{where}" in str(error.value)


def test_a_broken_task_file_stops_the_run_before_it_starts(tmp_path):
    path = write(tmp_path, VALID.replace("    grader: exact", "    grader: fuzzy"))
    args = build_parser("x").parse_args(["--task-file", str(path)])
    with pytest.raises(ConfigError, match=r":10: questions\.0\.grader"):
        validate_config(apply_overrides({}, args), "test")
    with pytest.raises(ConfigError, match=r"missing\.yaml: No such file"):
        load_task_file(tmp_path / "missing.yaml")


def test_a_choice_answer_must_be_among_its_choices(tmp_path):
    text = VALID.replace(
        "    grader: exact\n    answer: 11", '    grader: choice\n    choices: ["x", "y"]\n    answer: z'
    )
    with pytest.raises(ConfigError, match=r":8: questions\.0: Value error, answer 'z' is not among the choices"):
        load_task_file(write(tmp_path, text))


@pytest.mark.parametrize(
    ("question", "given", "earned"),
    [
        (Exact(id="q", ask="?", grader="exact", answer="CD4 T"), " cd4 t ", 1.0),
        (Exact(id="q", ask="?", grader="exact", answer="CD4 T"), ["CD4 T"], 0.0),
        (Exact(id="q", ask="?", grader="exact", answer=11), 11.0, 1.0),
        (Exact(id="q", ask="?", grader="exact", answer=11), "11", 0.0),
        (Exact(id="q", ask="?", grader="exact", answer=1), True, 0.0),  # a bool is no count
        (Numeric(id="q", ask="?", grader="numeric", answer=0.5, tolerance=0.01), 0.509, 1.0),
        (Numeric(id="q", ask="?", grader="numeric", answer=0.5, tolerance=0.01), 0.52, 0.0),
        (Numeric(id="q", ask="?", grader="numeric", answer=0.5, tolerance=0.01), float("nan"), 0.0),
        (Numeric(id="q", ask="?", grader="numeric", answer=1.0, tolerance=0.01), True, 0.0),
        (Numeric(id="q", ask="?", grader="numeric", answer=0.5, tolerance=0.01), None, 0.0),  # not answered
        (Choice(id="q", ask="?", grader="choice", choices=["a", "b"], answer="b"), "b", 1.0),
        (SetAnswer(id="q", ask="?", grader="set", answer=["a", "b"]), ["b", "c"], 1 / 3),
        (SetAnswer(id="q", ask="?", grader="set", answer=["a", "b"]), ["a", "b", "c", "d"], 0.5),
        (SetAnswer(id="q", ask="?", grader="set", answer=["a", "b"], metric="precision_at_k"), ["a", "c", "b"], 0.5),
        (SetAnswer(id="q", ask="?", grader="set", answer=["a"], metric="precision_at_k", k=2), ["a", "c", "b"], 1 / 2),
        (SetAnswer(id="q", ask="?", grader="set", answer=["a", "b"]), "a b", 0.0),
    ],
)  # fmt: skip
def test_each_grader_gives_the_credit_it_says(question, given, earned):
    assert credit(question, given) == pytest.approx(earned)


def test_the_agents_copy_keeps_only_what_the_file_names(tmp_path):
    task = FileTask(FileTaskConfig(path=EXAMPLE), seed=0)
    prepared = task.prepare(tmp_path / "task")
    copy = anndata.read_h5ad(prepared.data_dir / "pbmc_questions.h5ad")
    assert list(copy.obs.columns) == ["louvain", "n_genes", "S_score", "G2M_score"]  # no phase, no bulk_labels
    assert not copy.obsm and not copy.uns and copy.raw is None and not list(copy.var.columns)
    assert copy.shape == anndata.read_h5ad(scanpy_dataset("10x_pbmc68k_reduced.h5ad")).shape
    assert "4. richest_clusters: Which two louvain clusters" in prepared.prompt
    assert "2. largest_cluster: Which louvain cluster has the most cells? (one of: 0, 1, 2" in prepared.prompt
    assert prepared.prompt.rstrip().endswith("FINAL_ANSWER: answers.json")
    with pytest.raises(AnswerError, match="largest_cluster: '11' is not one of"):
        task.parse_answer(json.dumps({"largest_cluster": "11"}), tmp_path)
    with pytest.raises(AnswerError):
        task.parse_answer("../task/data/pbmc_questions.h5ad", tmp_path)


def test_a_misspelt_column_to_hide_is_an_error_not_a_leak(tmp_path):
    text = EXAMPLE.read_text().replace("keep_obs: [louvain, n_genes, S_score, G2M_score]", "hide_obs: [bulk_label]")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"hide_obs: the dataset's obs has no \['bulk_label'\]"):
        FileTask(FileTaskConfig(path=path), seed=0).prepare(tmp_path / "task")
    hidden = FileTask(FileTaskConfig(path=write(tmp_path, text.replace("[bulk_label]", "[bulk_labels, phase]"))), 0)
    copy = anndata.read_h5ad(hidden.prepare(tmp_path / "task2").data_dir / "pbmc_questions.h5ad")
    assert "bulk_labels" not in copy.obs and "phase" not in copy.obs and "louvain" in copy.obs


@needs_bwrap
def test_the_example_runs_end_to_end_and_its_answers_are_right(tmp_path):
    args = build_parser("x").parse_args(["--task-file", str(EXAMPLE)])
    raw = apply_overrides({}, args)
    assert raw["task"] == {"name": "task_file", "path": str(EXAMPLE)}
    replies = [code(EXAMPLE_SOLUTION) + "\nFINAL_ANSWER: answers.json"]
    result = run_episode(make_config(tmp_path, replies, task=raw["task"]))
    assert result.stop_reason == "final_answer" and result.score.value == 1.0, result.score
    assert "file-pbmc_questions" in result.trace_path.name  # results name the file, not "task_file"
    wrong = run_episode(make_config(tmp_path / "wrong", [code("import json\njson.dump({'n_clusters': 11}, "
                                    "open('/work/answers.json', 'w'))") + "\nFINAL_ANSWER: answers.json"],
                                    task=raw["task"]))  # fmt: skip
    assert wrong.score.value == 0.25 and wrong.score.metrics["n_clusters"] == 1.0


def test_a_folder_of_task_files_is_a_sweep_axis(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    for name in ("one", "two"):
        (folder / f"{name}.yaml").write_text(EXAMPLE.read_text().replace("name: pbmc_questions", f"name: {name}"))
    sweep = SweepConfig(experiment="x", tasks=[{"name": "task_file", "path": str(folder)}], repeats=2,
                        results_dir=tmp_path / "results")  # fmt: skip
    jobs = expand(sweep)
    assert sorted({j.cell["task"] for j in jobs}) == ["file-one", "file-two"] and len(jobs) == 4
    assert {j.folder.parts[-3] for j in jobs} == {"file-one", "file-two"}
    (folder / "one.yaml").unlink()
    (folder / "two.yaml").unlink()
    with pytest.raises(ConfigError, match=r"holds no \.yaml file"):
        expand(sweep)


@needs_bwrap
def test_the_readmes_task_file_runs_end_to_end(tmp_path):
    """The format as the README teaches it: its example block, copied into a file, runs and grades."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("### Task files", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "from_readme.yaml"
    path.write_text(block)
    solution = """
import json
import anndata
obs = anndata.read_h5ad("/data/pbmc_questions.h5ad").obs
genes = obs.groupby("louvain", observed=True)["n_genes"].mean().sort_values(ascending=False)
json.dump({"n_clusters": int(obs["louvain"].nunique()), "big_genes": bool((obs["n_genes"] > 1000).mean() > 0.5),
           "largest_cluster": str(obs["louvain"].value_counts().index[0]),
           "richest": [str(c) for c in genes.index[:2]]}, open("/work/answers.json", "w"))
"""
    replies = [code(solution) + "\nFINAL_ANSWER: answers.json"]
    result = run_episode(make_config(tmp_path, replies, task={"name": "task_file", "path": str(path)}))
    assert result.score.value == 1.0, result.score


def test_the_file_is_read_once_when_the_config_is_validated(tmp_path):
    """A sweep's episodes run the file as it was when the sweep was checked, even if it is edited."""
    path = write(tmp_path, VALID)
    config = FileTaskConfig(path=path)
    path.write_text(VALID.replace("answer: 11", "answer: 12"))
    assert FileTask(config, seed=0).spec.questions[0].answer == 11
