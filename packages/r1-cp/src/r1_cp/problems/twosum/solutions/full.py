import sys

data = sys.stdin.buffer.read().split()
n, x = int(data[0]), int(data[1])
seen = {}
for j in range(1, n + 1):
    v = int(data[1 + j])
    if x - v in seen:
        print(seen[x - v], j)
        break
    seen.setdefault(v, j)
else:
    print(-1)
