def count_zeros(values):
    return 0
