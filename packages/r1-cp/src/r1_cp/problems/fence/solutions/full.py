with open("fence.in") as f:
    n = int(f.readline())
    stretches = sorted(tuple(map(int, f.readline().split())) for _ in range(n))
total, end = 0, -1
for a, b in stretches:
    if b > end:
        total += b - max(a, end)
        end = b
with open("fence.out", "w") as f:
    print(total, file=f)
