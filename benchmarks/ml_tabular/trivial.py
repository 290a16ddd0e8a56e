# A trivial answer (runs in the sandbox): the most common (or mean) target for every row.
import pandas as pd

train = pd.read_csv("/data/train.csv")
test = pd.read_csv("/data/test.csv")
constant = train["target"].mode()[0] if train["target"].nunique() <= 10 else train["target"].mean()
pd.DataFrame({"id": test["id"], "prediction": constant}).to_csv("/work/predictions.csv", index=False)
