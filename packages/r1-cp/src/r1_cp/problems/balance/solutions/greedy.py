# Heaviest stone first onto the lighter pan: never more than max(w) off, not always optimal.
n = int(input())
weights = list(map(int, input().split()))
left, right, picked = 0, 0, []
for i in sorted(range(n), key=lambda i: -weights[i]):
    if left <= right:
        left += weights[i]
        picked.append(i + 1)
    else:
        right += weights[i]
print(len(picked))
print(*picked)
