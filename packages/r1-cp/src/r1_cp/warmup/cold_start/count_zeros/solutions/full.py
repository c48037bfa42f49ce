def count_zeros(values):
    return values.count(0)
