#!/usr/bin/python3
"""Data and independent checks for tests/cli/dataset_ops.sh (numpy and pandas only).

    dataset_check.py make CSV [--no-nan]     wide CSV: 36 sensors on one hourly grid
    dataset_check.py check RESULT.h5 CSV     correlation, pca and kmeans outputs vs references
    dataset_check.py check-kmeans-values RESULT.h5 CSV
    dataset_check.py check-pattern RESULT.h5 CSV
    dataset_check.py check-motifs RESULT.h5 CSV
    dataset_check.py make-contexts CSV       wide CSV: 4 metrics in each of 6 wells (one lacks ph)
    dataset_check.py check-contexts RESULT.h5 CSV   correlation group_by: well
"""
import sys

import h5py
import numpy as np
import pandas as pd

SENSORS, HOURS, GROUPS = 36, 500, 3


def make(path, nan):
    rng = np.random.default_rng(11)
    factors = np.cumsum(rng.normal(size=(HOURS, GROUPS)), axis=0)
    cols = {}
    for s in range(SENSORS):
        g = s % GROUPS
        weights = np.full(GROUPS, 0.1)
        weights[g] = 1.0 + 0.02 * s
        v = factors @ weights + rng.normal(scale=0.5, size=HOURS) + 100 * g
        if nan:
            v[rng.random(HOURS) < 0.02] = np.nan
        cols[f"gw.level{{site=S{s:02d}}}"] = v
    df = pd.DataFrame(cols, index=pd.date_range("2024-01-01", periods=HOURS, freq="h", tz="UTC"))
    df.index.name = "time"
    df.to_csv(path, date_format="%Y-%m-%dT%H:%M:%SZ", na_rep="NaN")  # NaN: a point without a value


def load(csv, ids):
    df = pd.read_csv(csv, index_col=0)
    return df[[i.decode() if isinstance(i, bytes) else i for i in ids]]


def close(name, got, want, tol):
    got, want = np.asarray(got, float), np.asarray(want, float)
    same_nan = np.array_equal(np.isnan(got), np.isnan(want))
    ok = same_nan and np.allclose(np.nan_to_num(got), np.nan_to_num(want), rtol=0, atol=tol)
    if not ok:
        bad = np.argwhere(~np.isclose(got, want, rtol=0, atol=tol, equal_nan=True))[:5]
        raise AssertionError(f"{name}: differs at {bad.tolist()}: got {got[tuple(bad.T)]} want {want[tuple(bad.T)]}")
    print(f"{name}: OK")


def check_kmeans_fixed_point(name, x, labels, dist, centroids, attrs):
    d2 = ((x[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    assert np.array_equal(labels, d2.argmin(axis=1)), f"{name}: a series is not in its nearest cluster"
    close(f"{name} distances", dist, np.sqrt(d2[np.arange(len(x)), labels]), 1e-9 * max(1.0, dist.max()))
    if attrs["converged"] in (b"true", "true"):
        for k in range(len(centroids)):
            members = x[labels == k]
            if len(members):
                close(f"{name} centroid {k}", centroids[k], members.mean(axis=0), 1e-9 * max(1.0, abs(members).max()))
    inertia = float(attrs["inertia"])
    assert abs(inertia - (dist ** 2).sum()) <= 1e-9 * max(1.0, inertia), f"{name}: inertia attr {inertia}"


def check(result, csv):
    f = h5py.File(result)
    ids = f["corr/series/id"][()]
    df = load(csv, ids)
    n = len(ids)

    # correlation: pandas' pairwise-complete Pearson and Spearman, and the pair counts.
    close("pearson r", f["corr/r"][()], df.corr(min_periods=10).to_numpy(), 1e-12)
    mask = df.notna().to_numpy().astype(float)
    close("overlap", f["corr/overlap"][()], mask.T @ mask, 0)
    close("spearman r", f["rank/r"][()], df.corr(method="spearman", min_periods=50).to_numpy(), 1e-12)
    best, lag = f["corr/best_r"][()], f["corr/lag"][()]
    close("best_r symmetric", best, best.T, 0)
    close("lag antisymmetric", lag, -lag.T, 0)
    assert (np.abs(best) >= np.abs(f["corr/r"][()]) - 1e-15).all(), "best_r below r at lag 0"
    assert np.all(np.abs(lag) <= 3)
    # A lag checked by brute force: shift the second series, pair on the hourly grid.
    a, b = 0, 3
    x, y = df.iloc[:, a].to_numpy(), df.iloc[:, b].to_numpy()
    k = int(lag[a, b])
    xs, ys = (x[: len(x) - k], y[k:]) if k >= 0 else (x[-k:], y[: len(y) + k])
    ok = ~np.isnan(xs) & ~np.isnan(ys)
    close("best_r at the reported lag", best[a, b], np.corrcoef(xs[ok], ys[ok])[0, 1], 1e-12)

    # top pairs: the largest |best_r| of i < j, in order.
    iu = np.triu_indices(n, 1)
    order = sorted(range(len(iu[0])), key=lambda q: (-abs(best[iu[0][q], iu[1][q]]), iu[0][q], iu[1][q]))[:25]
    tp = f["corr/top_pairs"]
    assert list(zip(tp["a_row"][()], tp["b_row"][()])) == [(iu[0][q], iu[1][q]) for q in order], "top_pairs order"
    close("top_pairs best_r", tp["best_r"][()], [best[iu[0][q], iu[1][q]] for q in order], 0)

    # pca: numpy SVD on the complete rows.
    pids = f["pca/series/id"][()]
    X = load(csv, pids).to_numpy()
    complete = ~np.isnan(X).any(axis=1)
    Xc = X[complete] - X[complete].mean(axis=0)
    _, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    ev = S ** 2 / (complete.sum() - 1)
    close("pca explained variance", f["pca/variance/explained_variance"][()], ev[:3], 1e-9 * ev[0])
    close("pca ratio", f["pca/variance/ratio"][()], ev[:3] / ev.sum(), 1e-12)
    V = Vt[:3].copy()
    for c in range(3):
        if V[c, np.argmax(np.abs(V[c]))] < 0:
            V[c] = -V[c]
    close("pca loadings", f["pca/loadings"][()], V, 1e-9)
    proj = np.full((3, len(X)), np.nan)
    proj[:, complete] = (Xc @ V.T).T
    comps = f["pca/components/points/value"][()].reshape(3, len(X))
    close("pca projections", comps, proj, 1e-8 * np.abs(proj[~np.isnan(proj)]).max())

    # kmeans on a table: the quality_stats columns mean and std.
    q = f["q"]
    xt = np.column_stack([q["mean"][()], q["std"][()]])
    km = f["km_table"]
    check_kmeans_fixed_point("kmeans table", xt, km["labels/cluster"][()], km["labels/distance"][()],
                             km["centroids"][()], km["centroids"].attrs)
    # kmeans on PAA: labels in range, inertia consistent.
    lab, dist = f["km/labels/cluster"][()], f["km/labels/distance"][()]
    assert lab.min() >= 0 and lab.max() < 3 and (dist >= 0).all()
    inertia = float(f["km/centroids"].attrs["inertia"])
    assert abs(inertia - (dist ** 2).sum()) <= 1e-9 * inertia
    print("kmeans paa: OK")


def check_kmeans_values(result, csv):
    f = h5py.File(result)
    ids = f["km/labels/id"][()]
    x = load(csv, ids).to_numpy().T
    check_kmeans_fixed_point("kmeans values", x, f["km/labels/cluster"][()], f["km/labels/distance"][()],
                             f["km/centroids"][()], f["km/centroids"].attrs)
    # The three planted groups (sensor s is in group s % 3, offset by 100 per group) are found.
    lab = f["km/labels/cluster"][()]
    groups = np.array([int(i.decode()[-3:-1]) % GROUPS for i in ids])
    for g in range(GROUPS):
        assert len(set(lab[groups == g])) == 1, f"planted group {g} split over clusters"
    print("kmeans values: OK")


def znorm(v):
    s = v.std()
    return (v - v.mean()) / s if s > 0 else np.zeros_like(v)


def check_pattern(result, csv):
    f = h5py.File(result)
    df = pd.read_csv(csv, index_col=0)
    x = df.to_numpy().T
    ids = list(df.columns)
    m = 48  # 2024-01-05T00 .. 2024-01-07T00 hourly
    q = x[ids.index("gw.level{site=S04}")][96:96 + m]
    # Brute force: every window of every series, z-normalised Euclidean; greedy top-5 with
    # the default exclusion ceil(m/2).
    cands = []
    for s in range(len(ids)):
        for i in range(x.shape[1] - m + 1):
            cands.append((np.linalg.norm(znorm(q) - znorm(x[s][i:i + m])), s, i))
    cands.sort()
    picks = []
    for d, s, i in cands:
        if all(not (ps == s and abs(pi - i) < (m + 1) // 2) for _, ps, pi in picks):
            picks.append((d, s, i))
        if len(picks) == 5:
            break
    t = f["ps"]
    got = list(zip([i.decode() for i in t["id"][()]], t["start"][()]))
    assert got == [(ids[s], i) for _, s, i in picks], f"pattern_search matches {got}"
    close("pattern_search distances", t["distance"][()], [d for d, _, _ in picks], 1e-8)
    assert t["distance"][0] < 1e-6 and got[0] == ("gw.level{site=S04}", 96)
    # DTW: the pattern's own window is the best match, at distance 0.
    dt = f["ps_dtw"]
    assert (dt["id"][0].decode(), dt["start"][0]) == ("gw.level{site=S04}", 96) and dt["distance"][0] < 1e-6
    assert (np.diff(dt["distance"][()]) >= 0).all() and (np.diff(f["ps_inline"]["distance"][()]) >= 0).all()
    print("pattern_search: OK")


def check_motifs(result, csv):
    f = h5py.File(result)
    df = pd.read_csv(csv, index_col=0)
    ids = list(df.columns)
    x = df.to_numpy().T
    t = f["mo"]
    w, radius = 48, 0.2
    groups, roles, starts = t["group"][()], t["role"][()], t["start"][()]
    names, dist = [i.decode() for i in t["id"][()]], t["distance"][()]
    assert len(set(groups)) == 3 and groups[0] == 1, "three groups, best first"
    for g in set(groups):
        rows = np.flatnonzero(groups == g)
        c = rows[0]
        assert roles[c] == b"centre" and all(roles[r] == b"member" for r in rows[1:])
        assert t["series_count"][c] == len(rows) >= 2
        zc = znorm(x[ids.index(names[c])][starts[c]:starts[c] + w])
        for r in rows[1:]:
            d = np.linalg.norm(zc - znorm(x[ids.index(names[r])][starts[r]:starts[r] + w]))
            assert abs(d - dist[r]) <= 1e-9 * max(1, d), f"group {g}: distance {dist[r]} vs numpy {d}"
            assert d <= radius * np.sqrt(w) * (1 + 1e-12), "member outside the radius"
        assert len({names[r] for r in rows}) == len(rows), "one window per series"
    # The groups grow with the planted factor groups: the best one spans several sensors.
    assert t["series_count"][0] >= 3
    print("motifs: OK")


WELLS, METRICS = 6, ["gw.level", "gw.temp", "rain", "water.ph"]


def make_contexts(path):
    """Each well has its own response to shared rain, so r differs between wells."""
    rng = np.random.default_rng(23)
    cols = {}
    for w in range(WELLS):
        rain = np.cumsum(rng.normal(size=HOURS))
        for m, metric in enumerate(METRICS):
            if w == 2 and metric == "water.ph":
                continue
            v = rain * (0.2 * (w + 1) if m else 1.0) * (-1) ** m + rng.normal(scale=1 + m, size=HOURS) + 1e3 * m
            v[rng.random(HOURS) < 0.03] = np.nan
            cols[f"{metric}{{well=W{w}}}"] = v
    cols["rain{site=none}"] = rng.normal(size=HOURS)  # no well: left out
    df = pd.DataFrame(cols, index=pd.date_range("2024-01-01", periods=HOURS, freq="h", tz="UTC"))
    df.index.name = "time"
    df.to_csv(path, date_format="%Y-%m-%dT%H:%M:%SZ", na_rep="NaN")


def check_contexts(result, csv):
    """Per well: pandas' pairwise-complete Pearson; across wells: numpy.nanmean and nanvar."""
    f = h5py.File(result, "r")
    df = pd.read_csv(csv, index_col=0)
    contexts = [f"W{w}" for w in range(WELLS)]
    V = len(METRICS)
    r = f["ctx/r"][()]
    assert r.shape == (WELLS * V, V), r.shape
    assert int(f["ctx/r"].attrs["series_without_context"]) == 1
    want = np.full((WELLS, V, V), np.nan)
    for k, well in enumerate(contexts):
        names = [f"{m}{{well={well}}}" for m in METRICS]
        present = [i for i, n in enumerate(names) if n in df.columns]
        sub = df[[names[i] for i in present]].corr(min_periods=10).to_numpy()
        for a, ia in enumerate(present):
            for b, ib in enumerate(present):
                want[k, ia, ib] = sub[a, b]
    close("r per context", r.reshape(WELLS, V, V), want, 1e-12)
    with np.errstate(all="ignore"):
        import warnings
        warnings.simplefilter("ignore", RuntimeWarning)
        close("r_mean", f["ctx/r_mean"][()], np.nanmean(want, axis=0), 1e-12)
        close("r_variance", f["ctx/r_variance"][()], np.nanvar(want, axis=0), 1e-12)
    close("r_contexts", f["ctx/r_contexts"][()], (~np.isnan(want)).sum(axis=0), 0)
    t = f["ctx/series"]
    for i, sid in enumerate(t["id"][()]):
        sid = sid.decode()
        if "well=" not in sid:
            assert t["matrix_row"][i] == -1
            continue
        k = contexts.index(sid.split("well=")[1].rstrip("}"))
        v = METRICS.index(sid.split("{")[0])
        assert t["matrix_row"][i] == k * V + v, (sid, t["matrix_row"][i])
    print("correlation group_by: OK")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], "--no-nan" not in sys.argv)
    elif cmd == "check":
        check(sys.argv[2], sys.argv[3])
    elif cmd == "check-kmeans-values":
        check_kmeans_values(sys.argv[2], sys.argv[3])
    elif cmd == "check-pattern":
        check_pattern(sys.argv[2], sys.argv[3])
    elif cmd == "make-contexts":
        make_contexts(sys.argv[2])
    elif cmd == "check-contexts":
        check_contexts(sys.argv[2], sys.argv[3])
    elif cmd == "check-motifs":
        check_motifs(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
