def maximum(values):
    return values[0]
