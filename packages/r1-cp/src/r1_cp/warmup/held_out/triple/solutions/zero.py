def triple(x):
    return 0
