# Starter baseline (runs in the sandbox): an off-by-one slip, the first number left out.
from pathlib import Path

numbers = [int(word) for word in Path("/data/numbers.txt").read_text().split()]
Path("/work/sum.txt").write_text(str(sum(numbers[1:])))
