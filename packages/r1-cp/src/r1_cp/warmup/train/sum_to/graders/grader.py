# Grader for "sum_to": reads the cases, calls sum_to() from solution.py, prints each result.
import contextlib
import io
import sys
from pathlib import Path

data = sys.stdin.read().split()
# The submission runs with no input and its own prints discarded: example calls or tests at the
# bottom of an answer do not disturb the judged output, and only the function is graded.
space = {"__name__": "solution"}
sys.stdin = io.StringIO("")
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(Exception):
    exec(compile(Path("solution.py").read_text(encoding="utf-8"), "solution.py", "exec"), space)
sys.stdin = sys.__stdin__
if "sum_to" not in space:
    sys.exit("solution.py defines no function sum_to")
sum_to = space["sum_to"]
pos = 1
for _ in range(int(data[0])):
    n = int(data[pos])
    pos += 1
    result = sum_to(n)
    print(str(result))
