#!/usr/bin/python3
"""numpy.corrcoef on the matrix make_grid.py wrote: seconds and pairs/s (best of `reps`).

    corr_numpy.py MATRIX.npy [reps]
"""
import sys
import time

import numpy as np

x = np.load(sys.argv[1])
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
best = None
for _ in range(reps):
    t0 = time.perf_counter()
    np.corrcoef(x)
    s = time.perf_counter() - t0
    best = s if best is None else min(best, s)
n = x.shape[0]
print(f"{best:.3f} {n * (n - 1) / 2 / best:.0f}")
