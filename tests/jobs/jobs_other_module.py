"""A helper in another file, so a bundle must gather defs from two files."""


def double(x):
    return x * 2
