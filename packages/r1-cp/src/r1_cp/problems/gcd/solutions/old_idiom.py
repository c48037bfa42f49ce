# Written for Python 2 era judges: fractions.gcd was removed in Python 3.9.
# Accepted because the codeforces scorer patches it to math.gcd (patch_code, on by default).
from fractions import gcd
from functools import reduce

input()
print(reduce(gcd, map(int, input().split())))
