#!/usr/bin/python3
"""Writes a staged file (format version 1) of N series on one regular grid of T points,
driven by a few shared random walks plus noise, for the dataset-wide benchmarks; with --npy
also the N x T matrix for numpy.

    make_grid.py OUT.h5 N T [--npy OUT.npy]
"""
import sys

import h5py
import numpy as np

out, n, t = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
factors = np.cumsum(rng.normal(size=(8, t)), axis=1)
weights = rng.normal(size=(n, 8))
x = weights @ factors + rng.normal(size=(n, t))
with h5py.File(out, "w") as f:
    f.attrs["tsbatch_format"] = "tsbatch-series"
    f.attrs["tsbatch_format_version"] = np.int64(1)
    ids = [f"plant.sensor{{id=S{i:06d}}}" for i in range(n)]
    s = f.create_group("series")
    s["id"] = np.array(ids, dtype="S")
    s["metric"] = np.array(["plant.sensor"] * n, dtype="S")
    s["tags"] = np.array([f"id=S{i:06d}" for i in range(n)], dtype="S")
    s["count"] = np.full(n, t, dtype=np.uint64)
    s["offset"] = (np.arange(n, dtype=np.uint64) * np.uint64(t))
    p = f.create_group("points")
    p.create_dataset("time", data=np.tile(1_700_000_000_000 + 60_000 * np.arange(t, dtype=np.int64), n), chunks=True)
    p.create_dataset("value", data=x.reshape(-1), chunks=True)
if "--npy" in sys.argv:
    np.save(sys.argv[sys.argv.index("--npy") + 1], x)
