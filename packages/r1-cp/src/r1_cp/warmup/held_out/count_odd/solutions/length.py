def count_odd(values):
    return len(values)
