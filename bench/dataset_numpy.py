#!/usr/bin/python3
"""numpy and pandas yardsticks for bench/dataset.sh, on the matrix make_grid.py wrote (one
series per row). Prints seconds (best of `reps`) and the rate.

    dataset_numpy.py corrcoef MATRIX.npy [reps]        numpy.corrcoef: seconds, pairs/s
    dataset_numpy.py pandas-corr MATRIX.npy [reps]     DataFrame.corr (pairwise NaN handling)
    dataset_numpy.py mass MATRIX.npy M [reps]          MASS distance profile of every series
                                                       against its row 3, points m*5000..: seconds, points/s
    dataset_numpy.py lloyd MATRIX.npy K ITER [reps]    ITER Lloyd iterations: seconds, iterations/s
"""
import sys
import time

import numpy as np


def best_of(reps, fn):
    best = None
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        s = time.perf_counter() - t0
        best = s if best is None else min(best, s)
    return best


def mass(x, q):
    """Mueen's MASS: z-normalised Euclidean distance of q to every window of x, by FFT."""
    n, m = len(x), len(q)
    q = (q - q.mean()) / q.std()
    fx = np.fft.rfft(x, 2 * n)
    fq = np.fft.rfft(q[::-1], 2 * n)
    dots = np.fft.irfft(fx * fq, 2 * n)[m - 1:n]
    c = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    mu = (c[m:] - c[:-m]) / m
    sd = np.sqrt(np.maximum((c2[m:] - c2[:-m]) / m - mu * mu, 0))
    # q is z-normalised (mean 0, std 1), so its dot with a window needs no mean term.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(np.maximum(2 * m * (1 - dots / (m * sd)), 0))


def main():
    cmd, x = sys.argv[1], np.load(sys.argv[2])
    n, t = x.shape
    if cmd == "corrcoef":
        reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
        s = best_of(reps, lambda: np.corrcoef(x))
        print(f"{s:.3f} {n * (n - 1) / 2 / s:.0f}")
    elif cmd == "pandas-corr":
        import pandas as pd
        reps = int(sys.argv[3]) if len(sys.argv) > 3 else 1
        df = pd.DataFrame(x.T)
        s = best_of(reps, lambda: df.corr())
        print(f"{s:.3f} {n * (n - 1) / 2 / s:.0f}")
    elif cmd == "mass":
        m = int(sys.argv[3])
        reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
        q = x[3, 5000:5000 + m]
        s = best_of(reps, lambda: [mass(row, q) for row in x])
        print(f"{s:.3f} {n * t / s:.0f}")
    elif cmd == "lloyd":
        k, iters = int(sys.argv[3]), int(sys.argv[4])
        reps = int(sys.argv[5]) if len(sys.argv) > 5 else 3
        rng = np.random.default_rng(0)
        start = x[rng.choice(n, k, replace=False)]
        norms = (x * x).sum(axis=1)

        def run():
            c = start.copy()
            for _ in range(iters):
                d2 = norms[:, None] - 2 * x @ c.T + (c * c).sum(axis=1)[None, :]
                labels = d2.argmin(axis=1)
                for j in range(k):
                    members = x[labels == j]
                    if len(members):
                        c[j] = members.mean(axis=0)
        s = best_of(reps, run)
        print(f"{s:.3f} {iters / s:.1f}")
    else:
        sys.exit(__doc__)


main()
