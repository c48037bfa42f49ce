# Puts every stone on the left pan: valid output, far from optimal.
n = int(input())
input()
print(n)
print(*range(1, n + 1))
