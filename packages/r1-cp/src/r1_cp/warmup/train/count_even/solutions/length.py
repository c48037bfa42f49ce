def count_even(values):
    return len(values)
