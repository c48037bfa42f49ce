def minimum(values):
    return values[0]
