"""Checker for "balance": checker <input> <output> <expected>; expected holds the optimal difference."""
import sys


def main() -> int:
    with open(sys.argv[1]) as f:
        data = f.read().split()
    n, weights = int(data[0]), [int(x) for x in data[1:]]
    with open(sys.argv[3]) as f:
        best = int(f.read().split()[0])
    with open(sys.argv[2]) as f:
        tokens = f.read().split()
    try:
        k = int(tokens[0])
        picked = [int(x) for x in tokens[1:]]
    except (ValueError, IndexError):
        print("malformed output", file=sys.stderr)
        return 1
    if len(picked) != k or len(set(picked)) != k or any(not 1 <= i <= n for i in picked):
        print(f"expected {k} distinct indices in 1..{n}", file=sys.stderr)
        return 1
    left = sum(weights[i - 1] for i in picked)
    diff = abs(sum(weights) - 2 * left)
    if diff == best:
        return 0
    if diff <= best + max(weights):
        print("0.5")
        print(f"difference {diff}, optimum {best}", file=sys.stderr)
        return 0
    print(f"difference {diff} is far from the optimum {best}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
