def absolute(x):
    return abs(x)
