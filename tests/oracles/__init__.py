"""The documents' hand-derived equations, in plain numpy and their column notation.

Examples are columns (X is n_x by m) and W^[l] is n^[l] by n^[l-1], as in
the course notes; the library is batch-first, so the tests transpose.
"""
