def word_length(s):
    return len(s)
