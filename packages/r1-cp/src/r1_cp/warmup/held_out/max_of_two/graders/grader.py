# Grader for "max_of_two": reads the cases, calls max_of_two() from solution.py, prints each result.
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
if "max_of_two" not in space:
    sys.exit("solution.py defines no function max_of_two")
max_of_two = space["max_of_two"]
pos = 1
for _ in range(int(data[0])):
    a, b = int(data[pos]), int(data[pos + 1])
    pos += 2
    result = max_of_two(a, b)
    print(str(result))
