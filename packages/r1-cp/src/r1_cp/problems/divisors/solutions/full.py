from math import isqrt

n = int(input())
r = isqrt(n)
print(2 * sum(n // j for j in range(1, r + 1)) - r * r)
