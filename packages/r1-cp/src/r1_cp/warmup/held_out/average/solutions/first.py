def average(values):
    return values[0]
