def count_positive(values):
    return sum(1 for v in values if v > 0)
