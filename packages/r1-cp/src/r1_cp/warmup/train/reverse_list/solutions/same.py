def reverse_list(values):
    return values
