"""The course notes' hand-derived equations, in plain numpy and their column notation.

The notes: CS229 Lecture 12 notes: Backpropagation & Deep Learning (Andrew Ng, Stanford,
Autumn 2018); CS229: Additional Notes on Backpropagation (Stanford); Deep Learning Study
Notes: Improving Deep Neural Networks (M. H. Shuvo, 2025); Neural Networks and
Backpropagation, Deep Learning course slides (S. Lahlou, SKEMA, 2025). Each module names
the ones it follows.

Examples are columns (X is n_x by m) and W^[l] is n^[l] by n^[l-1], as in
the course notes; the library is batch-first, so the tests transpose.
"""
