def minimum(values):
    return min(values)
