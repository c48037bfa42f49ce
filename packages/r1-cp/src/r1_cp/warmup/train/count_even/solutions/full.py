def count_even(values):
    return sum(1 for v in values if v % 2 == 0)
