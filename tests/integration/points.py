"""Series readers and comparisons shared by the storage-tier test scripts (no tsbatch code).

A data set is a dict: series id -> Series(metric, tags, time int64[], value float64[]).
Ids are the staged format's (DESIGN §3): `metric{k1=v1,k2=v2}` with tags sorted by key, or
`metric` when there are none.

* read_staged(path, group): a staged HDF5 collection read with h5py, plus check_staged() for
  the format rules a reader relies on.
* read_import(paths): OpenTSDB `tsdb import` text (gzip or not).
* compare(expected, actual): lost, duplicated, changed and unexpected points per series.
"""

import gzip
import math
from collections import namedtuple

import numpy as np

Series = namedtuple("Series", "metric tags time value")


def canonical_tags(pairs):
    return ",".join(f"{k}={v}" for k, v in sorted(pairs))


def series_id(metric, tags):
    """tags: canonical text 'k1=v1,k2=v2' or ''."""
    return f"{metric}{{{tags}}}" if tags else metric


def split_tags(tags):
    return [tuple(kv.split("=", 1)) for kv in tags.split(",")] if tags else []


def _strings(ds):
    out = []
    for x in ds[()]:
        out.append(x.decode("utf-8") if isinstance(x, bytes) else str(x))
    return out


def split_path(spec):
    """'file.h5:/group' -> ('file.h5', '/group'); 'file.h5' -> ('file.h5', '/')."""
    head, sep, tail = spec.rpartition(":")
    if sep and tail.startswith("/") and head:
        return head, tail
    return spec, "/"


def read_staged(path, group="/"):
    """The collection at `group` of a staged file, in storage order (dicts keep order)."""
    import h5py

    with h5py.File(path, "r") as f:
        g = f[group]
        ids = _strings(g["series/id"])
        metrics = _strings(g["series/metric"])
        tags = _strings(g["series/tags"])
        offset = g["series/offset"][()].astype(np.int64)
        count = g["series/count"][()].astype(np.int64)
        time = g["points/time"][()].astype(np.int64)
        value = g["points/value"][()].astype(np.float64)
    out = {}
    for i, sid in enumerate(ids):
        a, b = int(offset[i]), int(offset[i] + count[i])
        out[sid] = Series(metrics[i], tags[i], time[a:b], value[a:b])
    return out


def check_staged(path, group="/", sorted_series=True):
    """Problems with the staged-format rules (DESIGN §3); [] when there are none."""
    import h5py

    problems = []
    with h5py.File(path, "r") as f:
        g = f[group]
        fmt = g.attrs.get("tsbatch_format")
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if fmt != "tsbatch-series":
            problems.append(f"attr tsbatch_format is {fmt!r}, not 'tsbatch-series'")
        ver = g.attrs.get("tsbatch_format_version")
        if ver is None or int(np.asarray(ver).ravel()[0]) != 1:
            problems.append(f"attr tsbatch_format_version is {ver!r}, not 1")
        ids = _strings(g["series/id"])
        metrics = _strings(g["series/metric"])
        tags = _strings(g["series/tags"])
        offset = g["series/offset"][()].astype(np.int64)
        count = g["series/count"][()].astype(np.int64)
        time = g["points/time"][()]
        value = g["points/value"][()]
        if g["series/offset"].dtype != np.uint64 or g["series/count"].dtype != np.uint64:
            problems.append("series/offset and series/count must be uint64")
        if time.dtype != np.int64 or value.dtype != np.float64:
            problems.append(f"points/time is {time.dtype}, points/value is {value.dtype} (want int64, float64)")
    n = len(ids)
    if not (len(metrics) == len(tags) == len(offset) == len(count) == n):
        return problems + ["series/* datasets have different lengths"]
    if len(time) != len(value) or len(time) != int(count.sum()):
        problems.append(f"{len(time)} times, {len(value)} values, sum(count) = {int(count.sum())}")
    if n and (offset[0] != 0 or np.any(offset[1:] != offset[:-1] + count[:-1])):
        problems.append("offsets are not contiguous (offset[i+1] = offset[i] + count[i])")
    if len(set(ids)) != n:
        problems.append("series ids are not unique")
    for i in range(n):
        want = series_id(metrics[i], tags[i])
        if ids[i] != want:
            problems.append(f"series {i}: id {ids[i]!r} is not metric{{tags}} = {want!r}")
            break
        if tags[i] and canonical_tags(split_tags(tags[i])) != tags[i]:
            problems.append(f"series {ids[i]}: tags {tags[i]!r} are not canonical (sorted by key)")
            break
    if sorted_series:
        keys = [(m.encode(), t.encode()) for m, t in zip(metrics, tags)]
        if keys != sorted(keys):
            bad = next(i for i in range(1, n) if keys[i] < keys[i - 1])
            problems.append(f"series are not sorted by metric then tags: {ids[bad - 1]!r} before {ids[bad]!r}")
    for i in range(n):
        t = time[int(offset[i]):int(offset[i] + count[i])]
        if len(t) > 1 and np.any(np.diff(t) <= 0):
            problems.append(f"series {ids[i]}: times are not strictly increasing")
            break
    return problems


def parse_value(text):
    v = float(text)  # accepts NaN, nan, inf
    return v


def read_import(paths, allow_duplicates=False):
    """`tsdb import` lines -> data set, points sorted by time. Raises on malformed lines and,
    unless allow_duplicates, on two points of one series at the same time."""
    acc = {}
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line:
                    continue
                parts = line.split(" ")
                if len(parts) < 3:
                    raise ValueError(f"{path}:{lineno}: malformed line {line!r}")
                metric, ts, val = parts[0], int(parts[1]), parse_value(parts[2])
                tags = canonical_tags(tuple(p.split("=", 1)) for p in parts[3:])
                sid = series_id(metric, tags)
                entry = acc.setdefault(sid, (metric, tags, [], []))
                entry[2].append(ts)
                entry[3].append(val)
    out = {}
    for sid, (metric, tags, t, v) in acc.items():
        t = np.asarray(t, dtype=np.int64)
        v = np.asarray(v, dtype=np.float64)
        order = np.argsort(t, kind="stable")
        t, v = t[order], v[order]
        if not allow_duplicates and len(t) > 1 and np.any(np.diff(t) == 0):
            raise ValueError(f"series {sid}: duplicate timestamps in the import text")
        out[sid] = Series(metric, tags, t, v)
    return out


def _example(t, v):
    return f"{int(t)}={v!r}" if not (isinstance(v, float) and math.isnan(v)) else f"{int(t)}=nan"


class Report:
    """Counts and the first few examples of each kind of difference."""

    KINDS = ("lost", "duplicated", "changed", "unexpected")

    def __init__(self, examples=3):
        self.examples = examples
        self.totals = dict.fromkeys(self.KINDS, 0)
        self.explained = 0
        self.lines = []
        self.missing_series = []
        self.unexpected_series = []
        self.expected_points = 0
        self.actual_points = 0
        self.skipped_nan = 0

    def ok(self):
        return not any(self.totals.values()) and not self.missing_series and not self.unexpected_series

    def summary(self):
        t = self.totals
        text = (f"{self.expected_points} expected points, {self.actual_points} found; "
                f"{t['lost']} lost, {t['duplicated']} duplicated, {t['changed']} changed, "
                f"{t['unexpected']} unexpected; {len(self.missing_series)} series missing, "
                f"{len(self.unexpected_series)} series unexpected")
        if self.explained:
            text += (f"; {self.explained} extra copies explained by requests the server received "
                     f"but never answered")
        return text

    def text(self, max_series=20):
        out = []
        for sid in self.missing_series[:max_series]:
            out.append(f"series {sid}: missing entirely")
        for sid in self.unexpected_series[:max_series]:
            out.append(f"series {sid}: not expected")
        out.extend(self.lines[:max_series])
        hidden = len(self.lines) - max_series
        if hidden > 0:
            out.append(f"... and {hidden} more series with differences")
        out.append(self.summary())
        return "\n".join(out)


def compare(expected, actual, nan_dropped=False, examples=3, subset=None, allowance=None):
    """Compares data sets point by point. `actual` may hold several points at one time (a
    server that keeps duplicates).

    nan_dropped: NaN points of `expected` are not expected in `actual` (OpenTSDB export and
    push skip them); otherwise NaN equals NaN.
    subset: {id: times} - only these points of `expected` are expected (the others may be
    absent); values are still checked against `expected`.
    allowance: {id: (times, counts)} - extra copies that are not errors: points of requests
    the server received but never answered (it may or may not have stored them). They are
    counted as `explained`, not as duplicated or unexpected."""
    rep = Report(examples)
    empty_i = np.zeros(0, dtype=np.int64)
    for sid, exp in expected.items():
        te_all, ve_all = exp.time, exp.value
        if nan_dropped:
            keep = ~np.isnan(ve_all)
            rep.skipped_nan += int((~keep).sum())
            te_all, ve_all = te_all[keep], ve_all[keep]
        if subset is not None:
            mask = np.isin(te_all, subset.get(sid, empty_i))
            te, ve = te_all[mask], ve_all[mask]
        else:
            te, ve = te_all, ve_all
        rep.expected_points += len(te)
        act = actual.get(sid)
        if act is None:
            if len(te):
                rep.missing_series.append(sid)
                rep.totals["lost"] += len(te)
            continue
        order = np.argsort(act.time, kind="stable")
        ta, va = act.time[order], act.value[order]
        rep.actual_points += len(ta)
        uniq, counts = np.unique(ta, return_counts=True)
        # Extra copies per distinct time: beyond the one expected, minus those explained.
        n_exp = np.isin(uniq, te).astype(np.int64)
        allowed = np.zeros(len(uniq), dtype=np.int64)
        if allowance is not None and sid in allowance:
            at, ac = allowance[sid]
            pos = np.searchsorted(at, uniq)
            hit = (pos < len(at)) & (at[np.minimum(pos, len(at) - 1)] == uniq)
            allowed[hit] = ac[pos[hit]]
        extra = np.maximum(counts - n_exp, 0)
        explained = np.minimum(extra, allowed)
        unexplained = extra - explained
        rep.explained += int(explained.sum())
        dup = (n_exp == 1) & (unexplained > 0)
        unexp = (n_exp == 0) & (unexplained > 0)
        lost = ~np.isin(te, uniq)
        # changed: a copy whose value differs from the data set's value at that time
        in_data = np.isin(ta, te_all)
        pos = np.searchsorted(te_all, ta)
        want = np.full(len(ta), np.nan)
        want[in_data] = ve_all[pos[in_data]]
        same = (va == want) | (np.isnan(va) & np.isnan(want))
        changed = in_data & ~same
        # points at times that are not in the data set at all are unexpected, and never explained
        foreign = ~in_data
        found = {
            "lost": (int(lost.sum()), [_example(t, v) for t, v in zip(te[lost][:examples], ve[lost][:examples])]),
            "duplicated": (int(unexplained[dup].sum()),
                           [f"{int(t)} x{int(c)}" for t, c in zip(uniq[dup][:examples], counts[dup][:examples])]),
            "changed": (int(len(np.unique(ta[changed]))),
                        [f"{int(t)}: {w!r} -> {g!r}" for t, w, g in
                         zip(ta[changed][:examples], want[changed][:examples], va[changed][:examples])]),
            "unexpected": (int(unexplained[unexp].sum()),
                           [_example(t, v) for t, v in zip(ta[foreign][:examples], va[foreign][:examples])]
                           or [f"{int(t)} x{int(c)}" for t, c in zip(uniq[unexp][:examples], counts[unexp][:examples])]),
        }
        parts = []
        for kind in Report.KINDS:
            n, ex = found[kind]
            rep.totals[kind] += n
            if n:
                parts.append(f"{n} {kind} (first: {', '.join(ex)})")
        if parts:
            rep.lines.append(f"series {sid}: " + "; ".join(parts))
    for sid, act in actual.items():
        if sid not in expected:
            rep.unexpected_series.append(sid)
            rep.totals["unexpected"] += len(act.time)
            rep.actual_points += len(act.time)
    return rep
