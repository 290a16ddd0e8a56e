# Reference (runs in the sandbox): the sum, written where the answer is read.
from pathlib import Path

total = sum(int(word) for word in Path("/data/numbers.txt").read_text().split())
Path("/work/sum.txt").write_text(str(total))
print(total)
