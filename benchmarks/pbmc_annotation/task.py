"""Cell-type annotation on scanpy's bundled 10x PBMC 68k (reduced: 700 cells x 765 genes).

A seeded, stratified subset of cells loses its `bulk_labels`; the agent predicts them. Group-level
results computed from all labels (`uns['rank_genes_groups']`) are removed so nothing leaks them.
"""

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from benchmarks.base import (
    TASKS,
    AnswerError,
    ControllerSpec,
    PreparedTask,
    Score,
    Task,
    TaskConfig,
)
from benchmarks.common import ANNDATA_PRELOAD, ANNDATA_PRIMER, read_answer_csv, read_h5ad, scanpy_dataset
from ctxbench.errors import HarnessError

PBMC_FILE = "10x_pbmc68k_reduced.h5ad"
DATA_FILE = "pbmc68k_heldout.h5ad"
ANSWER_FILE = "predictions.csv"


class PbmcAnnotationConfig(TaskConfig):
    name: Literal["pbmc_annotation"] = "pbmc_annotation"
    holdout_fraction: float = Field(0.2, gt=0.0, lt=0.9)
    target_accuracy: float = Field(0.8, gt=0.0, le=1.0)
    source_h5ad: Path | None = Field(
        None, description="None: the file shipped in scanpy's wheel; or an imported dataset (scripts/import_dataset.py)"
    )
    label_key: str = Field("bulk_labels", description="The obs column holding the cell types")
    title: str = Field("10x PBMCs", description="How the prompt names the dataset")


class AnnotationAnswer(BaseModel):
    predictions: dict[str, str] = Field(description="cell id -> predicted bulk_labels value")


PROMPT = """\
Task: cell-type annotation of single-cell RNA-seq data ({title}).

Data: /data/{data_file}, an AnnData file with {n_cells} cells x {n_genes} genes. Load it with:
    import anndata
    adata = anndata.read_h5ad("/data/{data_file}")
- adata.X: scaled log-normalized expression; adata.raw: log-normalized expression; adata.obsm['X_pca'].
- adata.obs columns: {obs_columns}.
- adata.obs['{label}'] is the cell type. It is missing (NaN) for {n_heldout} held-out cells.
  The other {n_labeled} cells are labeled with these types: {types}.

Goal: predict {label} for every held-out cell. Graded after you submit (their labels are hidden from
you): accuracy on the held-out cells; a good answer reaches {target:.2f}.
A starter script, /data/baseline.py, gives each held-out cell the majority label of its louvain
cluster (about 0.73 accuracy). A classifier trained on the labeled cells' expression does better
(for example sklearn.linear_model.LogisticRegression on adata.X).

Answer: write a CSV file /work/{answer_file} with header `cell_id,label` and one row per held-out
cell (cell_id is the obs name, e.g. adata.obs_names[i]), then submit with the line:
FINAL_ANSWER: {answer_file}
"""


CONTROLLER_INSTRUCTIONS = """\
Controller mode: each reply is one proposal, a ```python block defining a function `predict`.
`train` is an AnnData of labeled cells (train.obs["{label}"] is the type), `test` an AnnData of
cells to label (no {label} column); it returns one label per test cell, in test.obs_names order.
A weak first proposal looks like this:

```python
def predict(train, test):
    # the most common label for every cell
    return [train.obs["{label}"].astype(str).mode()[0]] * test.n_obs
```

The harness scores it by 3-fold cross-validation on the labeled cells (cv_accuracy), then uses it to
label the held-out cells. You will see the score of every proposal; improve on the best one.
"""

MEASURE = """\
import json as _json, numpy as _np, pandas as _pd, anndata as _ad
from sklearn.model_selection import StratifiedKFold as _KFold
_adata = _ad.read_h5ad("/data/{data_file}")
_known = _adata[_adata.obs["{label}"].notna()].copy()
_y = _known.obs["{label}"].astype(str).values
def _unlabeled(view):
    view = view.copy()
    view.obs = view.obs.drop(columns=["{label}"])
    return view
_folds = []
for _train, _test in _KFold({folds}, shuffle=True, random_state=0).split(_known.obs_names, _y):
    _pred = _np.asarray(predict(_known[_train].copy(), _unlabeled(_known[_test])), dtype=str)
    _folds.append({{"cells": list(_known.obs_names[_test]), "predicted": [str(p) for p in _pred]}})
_held = _unlabeled(_adata[_adata.obs["{label}"].isna()])
_labels = _np.asarray(predict(_known, _held), dtype=str)
_pd.DataFrame({{"cell_id": _held.obs_names, "label": _labels}}).to_csv("/work/proposal_{iteration}.csv", index=False)
_json.dump({{"folds": _folds}}, open("/work/measure_{iteration}.json", "w"))
"""
CV_FOLDS = 3


def cv_accuracy(raw: dict[str, Any], known: pd.Series) -> dict[str, float]:
    """Cross-validated accuracy from the predictions a proposal returned, computed here against the
    labeled cells' labels: the folds must be exactly the harness's, every cell predicted once."""
    from sklearn.model_selection import StratifiedKFold

    splits = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=0).split(known.index, known.values)
    folds = raw.get("folds")
    if not isinstance(folds, list) or len(folds) != CV_FOLDS:
        raise ValueError(f"the measurement did not report {CV_FOLDS} folds")
    scores = []
    for fold, (_, test) in zip(folds, splits, strict=True):
        cells, predicted = list(fold.get("cells", [])), [str(p) for p in fold.get("predicted", [])]
        if cells != list(known.index[test]) or len(predicted) != len(cells):
            raise ValueError("the measurement's folds are not the harness's")
        scores.append(float(np.mean(np.asarray(predicted) == known.values[test])))
    return {"cv_accuracy": float(np.mean(scores))}


@TASKS.register("pbmc_annotation")
class PbmcAnnotation(Task):
    config_class = PbmcAnnotationConfig
    metric = "accuracy"
    description = "predict bulk_labels of held-out PBMC cells (pbmc68k_reduced)"
    folder = Path(__file__).parent
    sources = (("scanpy", "datasets/10x_pbmc68k_reduced.h5ad"),)
    answer_text = ANSWER_FILE
    target_text = "accuracy >= 0.80"
    config: PbmcAnnotationConfig

    primer = ANNDATA_PRIMER
    preload = ANNDATA_PRELOAD
    clarifications: ClassVar[dict[str, str]] = {
        "label|labels|type|types|class|classes|category|categories": "Predict one of the bulk_labels values "
        "present among the labeled cells, spelled exactly as they appear there.",
        "metric|score|scored|accuracy|evaluate|evaluated|graded": "Plain accuracy over the held-out cells; "
        "macro-F1 is reported too. Cells missing from your file count as wrong.",
        "file|csv|format|answer|submit|output|columns": "A CSV at /work/predictions.csv with header "
        "cell_id,label and one row per held-out cell; then reply FINAL_ANSWER: predictions.csv",
        "held|heldout|missing|nan|which|cells": "The held-out cells are exactly those whose bulk_labels is NaN.",
    }

    @property
    def target(self) -> float:
        return self.config.target_accuracy

    def controller(self) -> ControllerSpec:
        return ControllerSpec(
            instructions=CONTROLLER_INSTRUCTIONS.format(label=self.config.label_key),
            proposal="code", metric="cv_accuracy", target=self.target,
            measure=lambda iteration, proposal: MEASURE.format(
                data_file=DATA_FILE, iteration=iteration, label=self.config.label_key, folds=CV_FOLDS
            ),
            score=lambda raw: cv_accuracy(raw, self._known),
            answer=lambda iteration: f"proposal_{iteration}.csv",
        )  # fmt: skip

    def prepare(self, workspace: Path) -> PreparedTask:
        adata = read_h5ad(self.config.source_h5ad or scanpy_dataset(PBMC_FILE))
        label = self.config.label_key
        if label not in adata.obs:
            raise HarnessError(f"label column {label!r} not in the dataset's obs: {list(adata.obs.columns)}")
        heldout = _stratified_holdout(adata.obs[label], self.config.holdout_fraction, self.seed)
        self._truth = adata.obs.loc[heldout, label].astype(str)
        adata.obs[label] = adata.obs[label].astype(object)
        adata.obs.loc[heldout, label] = np.nan
        adata.uns.pop("rank_genes_groups", None)

        data_dir, hidden_dir = workspace / "data", workspace / "hidden"
        data_dir.mkdir(parents=True, exist_ok=True)
        hidden_dir.mkdir(parents=True, exist_ok=True)
        adata.write_h5ad(data_dir / DATA_FILE)
        (data_dir / "baseline.py").write_text(self.script("baseline"))
        (hidden_dir / "labels.json").write_text(json.dumps(self._truth.to_dict(), indent=0))

        labeled = adata.obs[label].dropna()
        self._known = labeled.astype(str)  # the agent-visible labels, in the data's order (cv_accuracy)
        prompt = PROMPT.format(
            data_file=DATA_FILE, answer_file=ANSWER_FILE, n_cells=adata.n_obs, n_genes=adata.n_vars,
            obs_columns=", ".join(adata.obs.columns), n_heldout=len(heldout), n_labeled=len(labeled),
            types=", ".join(sorted(labeled.unique())), target=self.target, label=label, title=self.config.title,
        )  # fmt: skip
        return PreparedTask(
            prompt=prompt, data_dir=data_dir, documents=(f"/data/baseline.py:\n{self.script('baseline')}",)
        )

    def parse_answer(self, text: str, workdir: Path) -> AnnotationAnswer:
        text = text.strip().strip("`'\"")
        if text.startswith("{"):
            try:
                answer = AnnotationAnswer(predictions=json.loads(text))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise AnswerError(f"answer is not a JSON object of cell_id -> label: {exc}") from None
        else:
            frame = read_answer_csv(workdir, text, ["cell_id", "label"])
            answer = AnnotationAnswer(predictions=dict(zip(frame["cell_id"], frame["label"].fillna(""), strict=True)))
        self.check_schema(answer)
        return answer

    def check_schema(self, answer: AnnotationAnswer) -> None:
        """What the prompt already tells the agent, checked before grading so a file of cluster
        numbers or row indices is sent back to be fixed rather than scored 0: labels are among the
        types the labeled cells carry, and the rows name held-out cells (those with a NaN label)."""
        types = set(self._known)
        rows = [label for label in answer.predictions.values() if label not in types]
        if rows:
            # Rows, not distinct labels: "1 label(s) ... e.g. ['']" hid 140 empty rows from the 0.5B.
            empty = sum(1 for label in rows if not str(label).strip())
            kinds = sorted({label for label in rows if str(label).strip()})
            said = [f"{empty} row(s) have an empty label (NaN written as '')"] if empty else []
            if kinds:
                said.append(f"{len(rows) - empty} row(s) have labels that are not cell types, e.g. {kinds[:3]}")
            raise AnswerError(f"{'; '.join(said)}; each label must be one of: {', '.join(sorted(types))}")
        if answer.predictions and not any(cell in answer.predictions for cell in self._truth.index):
            raise AnswerError(
                f"none of the {len(self._truth)} held-out cells is in the answer, e.g. "
                f"{list(answer.predictions)[:3]}; cell_id must be the obs name of a cell whose label is NaN"
            )

    def grade(self, answer: BaseModel | None) -> Score:
        from sklearn.metrics import accuracy_score, f1_score

        predictions = answer.predictions if isinstance(answer, AnnotationAnswer) else {}
        truth = self._truth
        predicted = [predictions.get(cell, "<missing>") for cell in truth.index]
        accuracy = float(accuracy_score(truth.values, predicted))
        macro_f1 = float(
            f1_score(truth.values, predicted, labels=sorted(truth.unique()), average="macro", zero_division=0)
        )
        coverage = float(np.mean([cell in predictions for cell in truth.index]))
        return Score(
            metric=self.metric, value=accuracy, target=self.target,
            metrics={"accuracy": accuracy, "macro_f1": macro_f1, "coverage": coverage},
        )  # fmt: skip


def _stratified_holdout(labels: pd.Series, fraction: float, seed: int) -> list[str]:
    from sklearn.model_selection import train_test_split

    _, heldout = train_test_split(labels.index, test_size=fraction, stratify=labels.values, random_state=seed)
    return list(heldout)
