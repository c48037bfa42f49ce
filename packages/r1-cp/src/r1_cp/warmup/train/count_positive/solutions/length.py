def count_positive(values):
    return len(values)
