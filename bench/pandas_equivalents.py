#!/usr/bin/python3
"""The pandas/numpy way of computing what tsbatch's kernels compute, on the same staged file,
timed the same way (best of repeated runs after a warm-up). Prints one line per kernel in the
format of bench_kernels: name, Mpoints/s.

    pandas_equivalents.py FILE.h5 [MIN_SECONDS] [NAME_PART]   (NAME_PART: only kernels whose name has it)
"""
import sys
import time

import h5py
import numpy as np
import pandas as pd


def load(path):
    with h5py.File(path, "r") as f:
        count = f["series/count"][()]
        t = f["points/time"][()]
        v = f["points/value"][()]
    sid = np.repeat(np.arange(len(count), dtype=np.int64), count.astype(np.int64))
    return pd.DataFrame({"sid": sid, "time": pd.to_datetime(t, unit="ms"), "value": v})


def time_it(min_s, fn):
    fn()
    runs, t0 = 0, time.perf_counter()
    while True:
        fn()
        runs += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= min_s:
            return elapsed / runs


def quality(df):
    g = df.groupby("sid", sort=False)
    stats = g["value"].agg(["size", "count", "min", "max", "mean", "std"])
    var = g["value"].var(ddof=0)
    dt = df["time"].diff().dt.total_seconds().mul(1000)
    dt[df["sid"].ne(df["sid"].shift())] = np.nan
    periods = pd.DataFrame({"sid": df["sid"], "dt": dt}).dropna()
    gp = periods.groupby("sid")["dt"]
    ext = gp.agg(["min", "max", "mean"])
    counts = periods.groupby(["sid", "dt"]).size()
    mode = counts.groupby(level=0).idxmax()
    return stats, var, ext, mode


def zscore(df):
    g = df.groupby("sid", sort=False)["value"]
    return (df["value"] - g.transform("mean")) / g.transform("std")


def minmax(df):
    g = df.groupby("sid", sort=False)["value"]
    lo = g.transform("min")
    return (df["value"] - lo) / (g.transform("max") - lo)


def robust(df):
    g = df.groupby("sid", sort=False)["value"]
    q1, q2, q3 = g.transform("quantile", 0.25), g.transform("median"), g.transform("quantile", 0.75)
    return (df["value"] - q2) / (q3 - q1)


def resample(agg):
    def run(df):
        return df.groupby(["sid", pd.Grouper(key="time", freq="1h")])["value"].agg(agg)
    return run


def slope(df):
    g = df.groupby("sid", sort=False)
    dv = g["value"].diff().shift(-1)
    dt = g["time"].diff().shift(-1).dt.total_seconds()
    return (dv / dt).dropna()


def unwrap(df):
    return df.groupby("sid", sort=False)["value"].transform(np.unwrap)


def cut_half(df):
    return df[(df["time"] >= "2015-01-01") & (df["time"] < "2019-01-01")]


def rolling_12_mean(df):
    return df.groupby("sid", sort=False)["value"].rolling(12).mean()


def rolling_1h_mean(df):
    return df.set_index("time").groupby("sid", sort=False)["value"].rolling("1h").mean()


def cut_y(df):
    v = df["value"]
    keep = (v > 1) & (v <= 10) & v.notna()
    return df[keep], df[~keep]


def sax_16_8(df):
    # z-normalise per series, PAA over 16 equal point-count segments (whole points), then
    # the N(0,1) breakpoints of an 8-letter alphabet.
    g = df.groupby("sid", sort=False)["value"]
    z = (df["value"] - g.transform("mean")) / g.transform("std", ddof=0)
    pos = g.cumcount()
    n = g.transform("size")
    seg = (pos * 16 // n).rename("seg")
    paa = z.groupby([df["sid"], seg]).mean()
    cuts = np.array([-1.1503, -0.6745, -0.3186, 0.0, 0.3186, 0.6745, 1.1503])
    return np.searchsorted(cuts, paa.to_numpy())


def outliers_iqr(df):
    g = df.groupby("sid", sort=False)["value"]
    q1, q3 = g.transform("quantile", 0.25), g.transform("quantile", 0.75)
    iqr = q3 - q1
    v = df["value"]
    return df[(v < q1 - 1.5 * iqr) | (v > q3 + 1.5 * iqr)]


def sta_lta_10s_5min(df):
    e = df.set_index("time").assign(e=df["value"].to_numpy() ** 2).groupby("sid", sort=False)["e"]
    sta = e.rolling("10s").mean()
    lta = e.rolling("5min").mean()
    return sta / lta


def main():
    path = sys.argv[1]
    min_s = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    only = sys.argv[3] if len(sys.argv) > 3 else ""
    df = load(path)
    n = len(df)
    print(f"# pandas {pd.__version__}, numpy {np.__version__}, {df['sid'].nunique()} series, {n} points")
    for name, fn in [("quality_stats", quality), ("scale_zscore", zscore), ("scale_minmax", minmax),
                     ("scale_robust", robust), ("resample_1h_mean", resample("mean")),
                     ("resample_1h_median", resample("median")), ("slope", slope), ("unwrap", unwrap),
                     ("cut_half", cut_half), ("rolling_12_mean", rolling_12_mean),
                     ("rolling_1h_mean", rolling_1h_mean), ("cut_y", cut_y), ("sax_16_8", sax_16_8),
                     ("outliers_iqr", outliers_iqr), ("sta_lta_10s_5min", sta_lta_10s_5min)]:
        if only not in name:
            continue
        s = time_it(min_s, lambda: fn(df))
        print(f"{name:<22} {n / s / 1e6:12.1f} Mpoints/s", flush=True)


if __name__ == "__main__":
    main()
