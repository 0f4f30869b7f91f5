#!/usr/bin/python3
"""The correlation matrix the numpy way, as a whole process a user would run: read a staged
file of N complete series of equal length with h5py, numpy.corrcoef (one BLAS product), and
the N x N matrix written back with h5py. The yardstick of bench/dataset.sh's whole-process
correlation figures (run with OPENBLAS_NUM_THREADS=1 for one core).

    numpy_correlation.py IN.h5 OUT.h5
"""
import sys

import h5py
import numpy as np


def main(src, dst):
    with h5py.File(src, "r") as f:
        count = f["series/count"][()]
        values = f["points/value"][()]
    if len(set(count.tolist())) != 1:
        sys.exit(f"{src}: the series differ in length; numpy.corrcoef needs one grid")
    r = np.corrcoef(values.reshape(len(count), -1))
    with h5py.File(dst, "w") as f:
        f.create_dataset("r", data=r)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
