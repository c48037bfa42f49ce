def maximum(values):
    return max(values)
