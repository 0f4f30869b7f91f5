#!/usr/bin/python3
"""matrix_profile in a real run, checked with numpy (tests/cli/matrix_profile.sh).

    matrix_profile_check.py make OUT.csv     a wide CSV: one long borehole record (20,000
                                             minutes: a random walk at a level of 1e6, a NaN
                                             run, a flat stretch) and three short series
    matrix_profile_check.py check RESULT.h5 OUT.csv STEP WINDOW

`check` compares the step's outputs with a direct numpy computation: for 300 windows spread
over each series, the z-normalised distance to every other window (exclusion zone
ceil(m/4), NaN windows excluded, constant windows at 0 from each other and sqrt(m) from the
rest); the reported distance must be the minimum to 1e-9 relative and the reported index a
window at that distance. The top table must hold the smallest and largest distances.
"""
import math
import sys

import h5py
import numpy as np
import pandas as pd

LONG = 20000


def make(path):
    rng = np.random.default_rng(2026)
    t = pd.date_range("2024-01-01", periods=LONG, freq="min", tz="UTC")
    cols = {}
    v = 1e6 + np.round(np.cumsum(rng.normal(size=LONG)), 3)
    v[5000:5100] = np.nan
    v[9000:9400] = v[9000]
    # Written as "NaN": points without a value (an empty cell would be no point at all).
    cols["gw.level{site=B1}"] = pd.Series(v, dtype=object).where(~np.isnan(v), "NaN").to_numpy()
    for k in range(3):
        s = np.full(LONG, np.nan)
        s[:700 + 150 * k] = np.round(np.sin(np.arange(700 + 150 * k) / (9 + k)) + 0.2 * rng.normal(size=700 + 150 * k), 4)
        cols[f"gw.level{{site=S{k}}}"] = s
    df = pd.DataFrame(cols, index=t)
    df.index.name = "time"
    # The short series end early: their trailing NaN are left out as missing cells.
    df.to_csv(path, date_format="%Y-%m-%dT%H:%M:%SZ", na_rep="")


def znorm_windows(x, m):
    w = np.lib.stride_tricks.sliding_window_view(x, m)
    bad = ~np.all(np.isfinite(w), axis=1)
    safe = np.where(np.isfinite(w), w, 0.0)
    const = (~bad) & (np.ptp(safe, axis=1) == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (safe - safe.mean(axis=1, keepdims=True)) / safe.std(axis=1, keepdims=True)
    return z, bad, const


def check(result, csv, step, m):
    df = pd.read_csv(csv, index_col=0)
    excl = math.ceil(m / 4)
    with h5py.File(result, "r") as f:
        g = f[step]
        ids = [i.decode() for i in g["profile/series/id"][:]]
        values = g["profile/points/value"][:]
        index_values = g["index/points/value"][:]
        counts = g["profile/series/count"][:]
        top = {k: g["top/" + k][:] for k in g["top"].keys() if not isinstance(g["top/" + k], h5py.Group)}
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    assert len(ids) == len(df.columns), (ids, list(df.columns))
    for s, sid in enumerate(ids):
        x = df[sid].to_numpy(dtype=float)
        # Trailing missing cells are absent points, a NaN inside the record is a NaN point.
        last = np.max(np.nonzero(~np.isnan(x))[0])
        x = x[:last + 1]
        z, bad, const = znorm_windows(x, m)
        w = len(z)
        prof = values[offsets[s]:offsets[s + 1]]
        idx = index_values[offsets[s]:offsets[s + 1]]
        assert len(prof) == w, (sid, len(prof), w)
        for i in np.unique(np.linspace(0, w - 1, 300).astype(int)):
            if bad[i]:
                assert np.isinf(prof[i]) and idx[i] == -1, (sid, i, prof[i], idx[i])
                continue
            if const[i]:
                d = np.where(const, 0.0, math.sqrt(m))
            else:
                d = np.sqrt(((z - z[i]) ** 2).sum(axis=1))
                d[const] = math.sqrt(m)
            d[bad] = np.inf
            d[max(0, i - excl):i + excl + 1] = np.inf
            best = d.min()
            tol = 1e-9 * max(best, math.sqrt(m))
            assert abs(prof[i] - best) <= tol, (sid, i, prof[i], best)
            j = int(idx[i])
            assert abs(d[j] - best) <= tol, (sid, i, j, d[j], best)
        finite = prof[np.isfinite(prof)]
        print(f"{sid}: {w} windows, 300 checked against numpy, min {finite.min():.6g}, max {finite.max():.6g}")
    kinds = [k.decode() for k in top["kind"]]
    assert kinds.count("motif") >= len(ids) and kinds.count("discord") >= len(ids), kinds
    print("matrix_profile check: OK")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
