# Starter baseline (runs in the sandbox): the starter script shipped with the data.
from pathlib import Path

exec(Path("/data/train.py").read_text())
