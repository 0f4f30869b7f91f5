#!/usr/bin/python3
"""bench/run.yaml's pipeline the pandas way, as a whole process a user would run: read a
staged file with h5py, quality indicators per series, an hourly mean of every series, a
z-score of each hourly series, and the results written back with h5py. The computations are
bench/pandas_equivalents.py's (quality, resample, zscore).

    pandas_pipeline.py IN.h5 OUT.h5
"""
import sys

import h5py
import numpy as np
import pandas as pd

from pandas_equivalents import load, quality


def main(src, dst):
    df = load(src)
    stats, var, ext, mode = quality(df)
    hourly = df.groupby(["sid", pd.Grouper(key="time", freq="1h")])["value"].mean().dropna()
    g = hourly.groupby(level=0)
    z = (hourly - g.transform("mean")) / g.transform("std", ddof=0)
    with h5py.File(dst, "w") as f:
        q = f.create_group("q")
        for name in stats.columns:
            q.create_dataset(name, data=stats[name].to_numpy())
        q.create_dataset("variance", data=var.to_numpy())
        for name in ext.columns:
            q.create_dataset(name + "_period", data=ext[name].to_numpy())
        q.create_dataset("ref_period", data=np.array([m[1] for m in mode.to_numpy()]))
        for name, s in (("hourly", hourly), ("z", z)):
            grp = f.create_group(name)
            sid = s.index.get_level_values(0).to_numpy()
            grp.create_dataset("series/count", data=np.bincount(sid).astype("u8"))
            grp.create_dataset("points/time", data=s.index.get_level_values(1).asi8 // 1_000_000)
            grp.create_dataset("points/value", data=s.to_numpy())


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
