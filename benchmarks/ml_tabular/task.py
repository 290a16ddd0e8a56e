"""ML experimentation on small tabular sets (MLAgentBench rule): improve a starter model's held-out
metric by at least 10 %. Datasets: a synthetic toy set generated from the seed, and scikit-learn's
bundled breast_cancer, wine and diabetes. The agent sees train.csv, test.csv (no target) and the
starter script; the test targets stay with the grader.

Agentic mode edits the code; controller mode proposes JSON model configs, measured by 5-fold
cross-validation on the training set (the agent never sees a test score)."""

import hashlib
import importlib
import json
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from benchmarks.base import TASKS, AnswerError, ControllerSpec, PreparedTask, Score, Task, TaskConfig
from benchmarks.common import data_folder, numeric_column, read_answer_csv

DATASETS: dict[str, dict[str, Any]] = {
    "ml_toy": {"kind": "classification", "starter_features": None},
    "ml_breast_cancer": {"kind": "classification", "starter_features": ["mean texture"]},
    "ml_wine": {"kind": "classification", "starter_features": None},
    "ml_diabetes": {"kind": "regression", "starter_features": ["bmi"]},
}
STARTER = """\
# Starter model: {description}. Improve on it.
import pandas as pd
from sklearn.{module} import {model}

train = pd.read_csv("/data/train.csv")
test = pd.read_csv("/data/test.csv")
features = {features}
model = {model}({params}).fit(train[features], train["target"])
pd.DataFrame({{"id": test["id"], "prediction": model.predict(test[features])}}).to_csv(
    "/work/predictions.csv", index=False
)
"""
PROMPT = """\
Task: machine-learning experimentation on a small tabular {kind} dataset ({name}).

Data: /data/train.csv ({n_train} rows: feature columns and `target`), /data/test.csv ({n_test}
rows: `id` and the same features, no target). The starter script /data/train.py reaches
{metric}={baseline:.4f} on the hidden test targets. Improve it by at least 10 %: target
{metric} >= {target:.4f}. The test targets are hidden: compare models by cross-validation on
train.csv (sklearn.model_selection.cross_val_score).

Answer: write /work/predictions.csv with header `id,prediction` (one row per test row; each
prediction is {prediction}), then reply:
FINAL_ANSWER: predictions.csv
/data/train.py already writes a valid file: start from it and change its model (or features).
```python
{starter}```
"""
# What a prediction is, by kind: a classifier's float scores are no labels (and accuracy cannot grade them).
PREDICTION = {"classification": "the predicted class label, an integer", "regression": "the predicted value"}
CONTROLLER_INSTRUCTIONS = """\
Controller mode: each reply is one proposal, a JSON object choosing a scikit-learn model and its
hyperparameters, for example
    {{"model": "{example}", "params": {{"n_estimators": 200, "max_depth": 5}}}}
Models: {models}. The harness scores it by 5-fold cross-validation on train.csv (cv_{metric}) and
predicts the test set with it. You will see every proposal's score; improve on the best one.
"""
# Valid for both kinds with the example's parameters: ml_diabetes's example was `ridge` with
# n_estimators and max_depth, which Ridge refuses, and all 4 of the 0.5B's ladder episodes copied it.
CONTROLLER_EXAMPLE = "random_forest"
# kind -> (sklearn module, class, parameters, description): the starter model.
STARTER_MODELS: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "classification": ("tree", "DecisionTreeClassifier", {"max_depth": 1, "random_state": 0}, "a decision stump"),
    "regression": ("linear_model", "LinearRegression", {}, "linear regression"),
}
MODELS = {
    "classification": {
        "logistic_regression": "sklearn.linear_model:LogisticRegression",
        "random_forest": "sklearn.ensemble:RandomForestClassifier",
        "gradient_boosting": "sklearn.ensemble:GradientBoostingClassifier",
        "decision_tree": "sklearn.tree:DecisionTreeClassifier",
        "knn": "sklearn.neighbors:KNeighborsClassifier",
        "svm": "sklearn.svm:SVC",
    },
    "regression": {
        "linear_regression": "sklearn.linear_model:LinearRegression",
        "ridge": "sklearn.linear_model:Ridge",
        "random_forest": "sklearn.ensemble:RandomForestRegressor",
        "gradient_boosting": "sklearn.ensemble:GradientBoostingRegressor",
        "decision_tree": "sklearn.tree:DecisionTreeRegressor",
        "knn": "sklearn.neighbors:KNeighborsRegressor",
    },
}
MEASURE = """\
import json as _json, importlib as _importlib, pandas as _pd
from sklearn.model_selection import cross_val_score as _cv
from sklearn.pipeline import make_pipeline as _pipe
from sklearn.preprocessing import StandardScaler as _scaler
_proposal = _json.loads({proposal!r})
_path = {models!r}.get(_proposal.get("model"))
if _path is None:
    raise ValueError(f"unknown model {{_proposal.get('model')!r}}; choose from {list_models!r}")
_module, _name = _path.split(":")
_estimator = _pipe(_scaler(), getattr(_importlib.import_module(_module), _name)(**_proposal.get("params", {{}})))
_train, _test = _pd.read_csv("/data/train.csv"), _pd.read_csv("/data/test.csv")
_features = [c for c in _train.columns if c != "target"]
_score = _cv(_estimator, _train[_features], _train["target"], cv=5, scoring={scoring!r}).mean()
_estimator.fit(_train[_features], _train["target"])
_pd.DataFrame({{"id": _test["id"], "prediction": _estimator.predict(_test[_features])}}).to_csv(
    "/work/proposal_{iteration}.csv", index=False)
_json.dump({{"cv_{metric}": float(_score)}}, open("/work/measure_{iteration}.json", "w"))
"""


class MLTabularConfig(TaskConfig):
    name: Literal["ml_toy", "ml_breast_cancer", "ml_wine", "ml_diabetes"]
    test_fraction: float = Field(0.25, gt=0.05, lt=0.8)
    improvement: float = Field(0.10, ge=0, description="Required relative improvement over the starter")


class Predictions(BaseModel):
    predictions: dict[str, float]


# The bundled tables behind ml_breast_cancer, ml_wine and ml_diabetes (ml_toy is generated).
SKLEARN_FILES = ("breast_cancer.csv", "wine_data.csv", "diabetes_data_raw.csv.gz", "diabetes_target.csv.gz")


TOY_SALT = "b1f0c3e5-ml_toy"  # lives only in the harness: the sandbox never sees this file


def toy_seed(seed: int) -> int:
    """ml_toy's generator seed. The run seed alone (small, and once readable in host paths) would let
    an agent rebuild the data with make_classification and read off the hidden test targets."""
    return int.from_bytes(hashlib.sha256(f"{TOY_SALT}/{seed}".encode()).digest()[:4], "big")


def load(name: str, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    from sklearn import datasets

    if name == "ml_toy":
        x, y = datasets.make_classification(n_samples=800, n_features=20, n_informative=6, n_redundant=2,
                                            flip_y=0.03, class_sep=0.8, random_state=toy_seed(seed))  # fmt: skip
        return pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])]), pd.Series(y, name="target")
    loader = {"ml_breast_cancer": datasets.load_breast_cancer, "ml_wine": datasets.load_wine,
              "ml_diabetes": datasets.load_diabetes}[name]  # fmt: skip
    x, y = loader(return_X_y=True, as_frame=True)
    return x, y.rename("target")


class MLTabular(Task):
    config_class = MLTabularConfig
    metric = "accuracy|r2"  # accuracy for classification, r2 for regression (named in each score)
    description = "improve a starter model's held-out metric by >= 10% (toy, breast_cancer, wine, diabetes)"
    folder = Path(__file__).parent
    sources = tuple(("sklearn", f"datasets/data/{f}") for f in SKLEARN_FILES)
    answer_text = "predictions.csv"
    target_text = "held-out metric >= 1.1 x starter"
    config: MLTabularConfig
    clarifications: ClassVar[dict[str, str]] = {
        "metric|score|evaluate|scored": "Accuracy for classification, R^2 for regression, on hidden test targets.",
        "columns|format|file|csv|answer": "predictions.csv with header id,prediction, one row per test.csv row.",
        "packages|library|libraries|install": "numpy, pandas, scipy and scikit-learn are installed; no internet.",
    }

    @property
    def kind(self) -> str:
        return str(DATASETS[self.config.name]["kind"])

    @property
    def metric_name(self) -> str:
        return "accuracy" if self.kind == "classification" else "r2"

    @property
    def target(self) -> float:
        return min(1.0, self._baseline * (1 + self.config.improvement))

    def prepare(self, workspace: Path) -> PreparedTask:
        from sklearn.model_selection import train_test_split

        x, y = load(self.config.name, self.seed)
        stratify = y if self.kind == "classification" else None
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=self.config.test_fraction, random_state=self.seed, stratify=stratify
        )
        ids = [f"r{i:04d}" for i in range(len(x_test))]
        self._truth = pd.Series(y_test.to_numpy(), index=ids)
        data_dir = data_folder(workspace)
        pd.concat([x_train, y_train], axis=1).to_csv(data_dir / "train.csv", index=False)
        x_test.assign(id=ids)[["id", *x_test.columns]].to_csv(data_dir / "test.csv", index=False)
        starter = self.starter_script(list(x.columns))
        (data_dir / "train.py").write_text(starter)
        self._baseline = self.metric_value(self._starter_predictions(x_train, y_train, x_test, ids))
        prompt = PROMPT.format(
            kind=self.kind, name=self.config.name.removeprefix("ml_"), n_train=len(x_train), n_test=len(x_test),
            metric=self.metric_name, baseline=self._baseline, target=self.target, starter=starter,
            prediction=PREDICTION[self.kind],
        )  # fmt: skip
        return PreparedTask(prompt=prompt, data_dir=data_dir, documents=(f"/data/train.py:\n{starter}",))

    def starter_script(self, columns: list[str]) -> str:
        module, model, params, what = STARTER_MODELS[self.kind]
        features = DATASETS[self.config.name]["starter_features"] or columns
        description = f"{what} on {'all features' if features == columns else ', '.join(features)}"
        rendered = ", ".join(f"{k}={v!r}" for k, v in params.items())
        return STARTER.format(description=description, module=module, model=model, params=rendered, features=features)

    def _starter_predictions(
        self, x_train: pd.DataFrame, y_train: pd.Series, x_test: pd.DataFrame, ids: list[str]
    ) -> dict[str, float]:
        """What /data/train.py predicts, computed here to set the target."""
        module, model_name, params, _ = STARTER_MODELS[self.kind]
        model = getattr(importlib.import_module(f"sklearn.{module}"), model_name)(**params)
        features = DATASETS[self.config.name]["starter_features"] or list(x_train.columns)
        model.fit(x_train[features], y_train)
        return dict(zip(ids, map(float, model.predict(x_test[features])), strict=True))

    def metric_value(self, predictions: dict[str, float]) -> float:
        from sklearn.metrics import accuracy_score, r2_score

        if self.kind == "classification":
            given = [predictions.get(i, np.nan) for i in self._truth.index]
            return float(accuracy_score(self._truth.to_numpy(), np.nan_to_num(given, nan=-1)))
        mean = float(self._truth.mean())  # a missing prediction counts as the mean (R^2 contribution 0)
        return float(r2_score(self._truth.to_numpy(), [predictions.get(i, mean) for i in self._truth.index]))

    def parse_answer(self, text: str, workdir: Path) -> Predictions:
        frame = read_answer_csv(workdir, text, ["id", "prediction"])
        values = numeric_column(frame, "prediction")
        if self.kind == "classification" and not values.apply(float.is_integer).all():
            example = values[~values.apply(float.is_integer)].iloc[0]
            raise AnswerError(f"every prediction must be a class label (an integer, as in train.csv's target), "
                              f"found {example:g}: use a classifier")  # fmt: skip
        return Predictions(predictions=dict(zip(frame["id"], values, strict=True)))

    def grade(self, answer: BaseModel | None) -> Score:
        predictions = answer.predictions if isinstance(answer, Predictions) else {}
        value = self.metric_value(predictions) if predictions else 0.0
        coverage = sum(i in predictions for i in self._truth.index) / len(self._truth)
        metrics = {self.metric_name: value, "starter": self._baseline, "coverage": coverage}
        return Score(self.metric_name, value, self.target, metrics)

    def controller(self) -> ControllerSpec:
        models = MODELS[self.kind]
        scoring = "accuracy" if self.kind == "classification" else "r2"
        instructions = CONTROLLER_INSTRUCTIONS.format(
            example=CONTROLLER_EXAMPLE, models=", ".join(models), metric=self.metric_name
        )

        def measure(iteration: int, proposal: str) -> str:
            return MEASURE.format(
                proposal=proposal, models=models, list_models=list(models), scoring=scoring,
                metric=self.metric_name, iteration=iteration,
            )  # fmt: skip

        return ControllerSpec(
            instructions=instructions,
            proposal="json",
            metric=f"cv_{self.metric_name}",
            target=self.target,
            measure=measure,
            answer=lambda iteration: f"proposal_{iteration}.csv",
        )


for _name in DATASETS:
    TASKS.register(_name)(MLTabular)


def reference_proposal(kind: str) -> str:
    """The proposal the reference makes in controller mode (also used by tests)."""
    if kind == "classification":
        return json.dumps({"model": "random_forest", "params": {"n_estimators": 300, "random_state": 0}})
    return json.dumps({"model": "ridge", "params": {"alpha": 1.0}})
