"""A reward for the filter-pass-rate test: returns the row's ``p`` column for every completion,
so the pass rate of a row is known exactly while generation stays real."""


def column_p(completions, p, **kwargs):
    return [float(v) if v is not None else None for v in p]
