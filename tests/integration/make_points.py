#!/usr/bin/python3
"""Writes an OpenTSDB `tsdb import` text file of test points (gzip when OUT ends in .gz).

    make_points.py -o points.tsdb.gz --series 1000 --points 1000 [--seed 1] [--prefix it]
                   [--order series|time] [--nan N]

One line per point, `metric timestamp value tagk=tagv ...` (reference/opentsdb.md 1.3), chosen
so that every storage path keeps the points exactly and a test can compare them bit for bit:

* metrics `<prefix>.level`, `<prefix>.temperature`, `<prefix>.conductivity`; tags `sensor`,
  `site` (and `depth` on some series), written sorted by key as tsbatch writes them; names
  use only characters OpenTSDB accepts; 1 to 3 tags.
* timestamps in integer ms from 1700000000000 (2023-11-14) upward, steps of 1 ms to 60 s
  with random ms parts: above 4294967296 (so OpenTSDB reads them as ms), never 0, never in the
  future (VictoriaMetrics drops points later than now + 2 days), strictly increasing per series.
* values: integers with |v| < 2^24 or multiples of 0.125 with |v| < 2^17, so float32
  (OpenTSDB import), int64 and VictoriaMetrics' 12-digit decimals keep them unchanged;
  written as the shortest text that reads back (integers without ".0", as tsbatch export does).
* series have different lengths (between 1/2 and 3/2 of --points, never fewer than 1), and
  the total is exactly series x points.

`--order time` interleaves the series (all lines sorted by time, then series), to check that
readers sort. `--nan N` turns N points (spread over the series) into NaN, written "NaN".
The summary (series, points) is printed on stdout.
"""

import argparse
import gzip
import math
import sys

import numpy as np

T0 = 1_700_000_000_000


def make_series(n_series, n_points, seed, prefix):
    """[(metric, [(tagk, tagv)...] sorted, times int64[], values float64[])], sorted by key."""
    rng = np.random.default_rng(seed)
    # Lengths in pairs that add up to 2 * n_points, so the total is exact.
    lengths = np.full(n_series, n_points, dtype=np.int64)
    half = max(n_points // 2, 0)
    for i in range(0, n_series - 1, 2):
        d = int(rng.integers(-half, half + 1)) if half else 0
        d = min(d, n_points - 1) if n_points > 0 else 0
        lengths[i] += d
        lengths[i + 1] -= d
    metrics = [f"{prefix}.level", f"{prefix}.temperature", f"{prefix}.conductivity"]
    out = []
    for i in range(n_series):
        metric = metrics[i % 3]
        tags = {"site": f"S{i // 3:04d}", "sensor": f"{metric.split('.')[-1]}-{i % 7:02d}"}
        if i % 5 == 1:
            tags["depth"] = f"{10 * (i % 4 + 1)}m"
        if i % 11 == 4:
            del tags["sensor"]  # a series with one tag
        n = int(lengths[i])
        steps = rng.integers(1, 60_001, size=n)  # ms; never 0, so times strictly increase
        times = T0 + int(rng.integers(0, 5_000)) + np.cumsum(steps) - steps[0]
        kind = rng.random(n)
        ints = rng.integers(-(2**24) + 1, 2**24, size=n).astype(np.float64)
        small = rng.integers(-1000, 1001, size=n).astype(np.float64)
        eighths = rng.integers(-(2**20) + 1, 2**20, size=n).astype(np.float64) * 0.125
        values = np.where(kind < 0.3, ints, np.where(kind < 0.6, small, eighths))
        values[values == 0] = 0.0  # no -0.0
        out.append((metric, sorted(tags.items()), times.astype(np.int64), values))
    out.sort(key=lambda s: (s[0], ",".join(f"{k}={v}" for k, v in s[1])))
    return out


def format_value(v):
    if math.isnan(v):
        return "NaN"
    if v == int(v) and abs(v) < 2**53:
        return str(int(v))
    return repr(float(v))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--series", type=int, required=True)
    ap.add_argument("--points", type=int, required=True, help="points per series on average")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prefix", default="it", help="metric prefix (default it)")
    ap.add_argument("--order", choices=["series", "time"], default="series")
    ap.add_argument("--nan", type=int, default=0, help="this many points become NaN")
    args = ap.parse_args()
    if args.series < 1 or args.points < 1:
        ap.error("--series and --points must be at least 1")

    series = make_series(args.series, args.points, args.seed, args.prefix)
    total = sum(len(s[2]) for s in series)
    if args.nan:
        # Every k-th point of the whole data set, so several series get some.
        k = max(total // args.nan, 1)
        flat = 0
        left = args.nan
        for _, _, _, values in series:
            idx = np.arange((-flat) % k, len(values), k)[:left]
            values[idx] = np.nan
            left -= len(idx)
            flat += len(values)

    opener = gzip.open if args.output.endswith(".gz") else open
    with opener(args.output, "wt", encoding="utf-8", newline="\n") as f:
        if args.order == "series":
            for metric, tags, times, values in series:
                tag_text = " ".join(f"{k}={v}" for k, v in tags)
                f.writelines(f"{metric} {t} {format_value(v)} {tag_text}\n"
                             for t, v in zip(times.tolist(), values.tolist()))
        else:
            rows = []
            for j, (metric, tags, times, values) in enumerate(series):
                tag_text = " ".join(f"{k}={v}" for k, v in tags)
                rows.extend((t, j, f"{metric} {t} {format_value(v)} {tag_text}\n")
                            for t, v in zip(times.tolist(), values.tolist()))
            rows.sort()
            f.writelines(r[2] for r in rows)
    nan = int(sum(np.isnan(s[3]).sum() for s in series))
    print(f"{args.output}: {len(series)} series, {total} points, {nan} NaN")


if __name__ == "__main__":
    sys.exit(main())
