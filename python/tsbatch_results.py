"""Read tsbatch files into pandas: collections, tables, matrices and provenance.

Needs only h5py and pandas. Every function takes the file's path and the step (the group of
the result file: "q", "hourly", "cy/match", "corr"); a staged input file's collection is the
step "/".

    import tsbatch_results as tr
    q = tr.table("results/demo.h5", "q")                    # one row per series, indexed by id
    hourly = tr.collection("results/demo.h5", "hourly", metric="gw.level")
    r = tr.matrix("results/demo.h5", "corr", "r")           # labelled by series id
    tr.provenance("results/demo.h5")["config"]

Timestamps are pandas datetimes in UTC: datetime64[ms, UTC] with pandas 2, and
datetime64[ns, UTC] with pandas 1 (Debian 12's 1.5), whose datetimes have only nanosecond
resolution; the instants are the same.
A filter (ids=, metric=) reads the small series index first and then only the rows and the
points of the series it keeps.
"""

import h5py
import numpy as np
import pandas as pd

__all__ = ["collection", "table", "matrix", "provenance", "steps"]

# A table column with this unit holds timestamps (ms since 1970-01-01T00:00:00Z); "ms" is a
# duration in milliseconds.
TIMESTAMP_UNIT = "epoch_ms"


def _group(f, step):
    name = "/" if step in ("", "/") else "/" + step.strip("/")
    if name not in f:
        raise KeyError(f"{f.filename}: no step {name}")
    return f[name]


def _format(obj):
    return obj.attrs.get("tsbatch_format", "")


def _strings(dataset, rows=None):
    data = dataset.asstr()
    return np.asarray(data[()] if rows is None else data[rows], dtype=object)


def _metric_of_id(series_id):
    """'gw.level{site=A}' -> 'gw.level': a series id is its metric, then its tags in braces."""
    brace = series_id.find("{")
    return series_id if brace < 0 else series_id[:brace]


def _wanted(names, ids, metric, metrics=None):
    """Row positions whose id is in `ids` and whose metric equals `metric` (either may be
    None); the metrics are read from the ids unless given."""
    keep = np.ones(len(names), dtype=bool)
    if ids is not None:
        keep &= np.isin(names, np.asarray(list(ids), dtype=object))
    if metric is not None:
        if metrics is None:
            metrics = np.array([_metric_of_id(n) for n in names], dtype=object)
        keep &= metrics == metric
    return np.flatnonzero(keep)


def _runs(rows):
    """Sorted row positions as (first, end) runs of consecutive rows."""
    if len(rows) == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1)
    firsts = np.concatenate(([rows[0]], rows[breaks + 1]))
    lasts = np.concatenate((rows[breaks], [rows[-1]]))
    return list(zip(firsts.tolist(), (lasts + 1).tolist()))


# pandas 1 has datetimes of nanosecond resolution only.
TIME_DTYPE = "datetime64[ms, UTC]" if int(pd.__version__.split(".")[0]) >= 2 else "datetime64[ns, UTC]"


def _times(ms):
    return pd.Series(pd.to_datetime(np.asarray(ms, dtype="int64"), unit="ms", utc=True)).astype(TIME_DTYPE).array


def _split_tags(tags):
    out = {}
    for part in tags.split(","):
        if part:
            key, _, value = part.partition("=")
            out[key] = value
    return out


def collection(path, step, ids=None, metric=None):
    """A series collection as a long DataFrame: id, metric, one column per tag key, time
    (TIME_DTYPE), value.

    Rows are in collection order, then time. `ids` (an iterable of series ids) and `metric`
    keep only those series; only their points are read.
    """
    with h5py.File(path, "r") as f:
        g = _group(f, step)
        if _format(g) != "tsbatch-series":
            raise ValueError(f"{path}:{g.name} is not a tsbatch series collection")
        s = g["series"]
        names, metrics, tags = _strings(s["id"]), _strings(s["metric"]), _strings(s["tags"])
        rows = _wanted(names, ids, metric, metrics) if (ids is not None or metric is not None) else np.arange(len(names))
        offsets, counts = s["offset"][()].astype("int64"), s["count"][()].astype("int64")
        parts = []
        for first, end in _runs(rows):
            begin, stop = int(offsets[first]), int(offsets[end - 1] + counts[end - 1])
            time = g["points/time"][begin:stop]
            value = g["points/value"][begin:stop]
            n = counts[first:end]
            parts.append(pd.DataFrame({
                "id": np.repeat(names[first:end], n),
                "metric": np.repeat(metrics[first:end], n),
                "tags": np.repeat(tags[first:end], n),
                "time": _times(time),
                "value": value,
            }))
    columns = ["id", "metric", "tags", "time", "value"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"id": pd.Series(dtype=object), "metric": pd.Series(dtype=object), "tags": pd.Series(dtype=object),
         "time": pd.Series(dtype=TIME_DTYPE), "value": pd.Series(dtype="float64")})
    out = out[columns]
    # One column per tag key, in key order, between metric and time ("" where a series lacks it).
    split = {t: _split_tags(t) for t in pd.unique(out["tags"])}
    keys = sorted({k for kv in split.values() for k in kv})
    for k in keys:
        if k in ("id", "metric", "time", "value"):
            raise ValueError(f"{path}:{step}: a tag key is named {k!r}, like a fixed column")
    tag_columns = pd.DataFrame({k: out["tags"].map(lambda t, k=k: split[t].get(k, "")) for k in keys},
                               index=out.index)
    return pd.concat([out[["id", "metric"]], tag_columns, out[["time", "value"]]], axis=1)


def table(path, step, ids=None, metric=None):
    """A table as a DataFrame, indexed by series id when its rows are series.

    Columns keep the file's order; timestamp columns become datetimes (TIME_DTYPE). `ids` and
    `metric` keep only those series' rows (read by position, not as a full read).
    """
    with h5py.File(path, "r") as f:
        g = _group(f, step)
        if _format(g) != "tsbatch-table":
            raise ValueError(f"{path}:{g.name} is not a tsbatch table")
        rows = None
        if ids is not None or metric is not None:
            if "id" not in g:
                raise ValueError(f"{path}:{g.name}: its rows are not series, so ids= and metric= cannot select them")
            rows = _wanted(_strings(g["id"]), ids, metric)
        data = {}
        for name, column in g.items():
            if h5py.check_string_dtype(column.dtype) is not None:
                values = _strings(column, rows)
            else:
                values = column[()] if rows is None else column[rows]
            if column.attrs.get("unit", "") == TIMESTAMP_UNIT:
                values = _times(values)
            data[name] = values
    out = pd.DataFrame(data)
    return out.set_index("id") if "id" in out.columns else out


def _axis_labels(f, m, axis):
    n = m.shape[axis]
    attr = m.attrs.get("row_labels" if axis == 0 else "col_labels")
    if attr is not None:
        labels = str(attr).split(",")
        if len(labels) != n:
            raise ValueError(f"{f.filename}:{m.name}: {len(labels)} labels for {n} entries")
        return labels
    axis_name = m.attrs.get("row_axis" if axis == 0 else "col_axis", "")
    sibling = m.parent.get(axis_name) if axis_name else None
    if isinstance(sibling, h5py.Group) and _format(sibling) == "tsbatch-table" and "id" in sibling:
        ids = _strings(sibling["id"])
        if len(ids) == n:
            return list(ids)
    return list(range(n))


def matrix(path, step, name):
    """A matrix (correlation r, kmeans centroids, pca loadings) as a DataFrame whose index and
    columns carry its axes' labels: series ids where the step has a table of them, the
    labels stored with the matrix, else positions. The axes' names are the index's and the
    columns' names.
    """
    with h5py.File(path, "r") as f:
        g = _group(f, step)
        if name not in g or _format(g[name]) != "tsbatch-matrix":
            raise ValueError(f"{path}:{g.name}/{name} is not a tsbatch matrix")
        m = g[name]
        out = pd.DataFrame(m[()], index=_axis_labels(f, m, 0), columns=_axis_labels(f, m, 1))
        out.index.name = m.attrs.get("row_axis", None)
        out.columns.name = m.attrs.get("col_axis", None)
        return out


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def provenance(path):
    """The file's root attributes (effective config, versions, command line, times, input,
    rank count ...) as a dict of plain Python values."""
    with h5py.File(path, "r") as f:
        return {k: _plain(v) for k, v in f.attrs.items()}


def steps(path):
    """The collections, tables and matrices of a file as {path: kind}, in the order written
    (steps in run order, a step's outputs in its order, the run's own tables last)."""
    kinds = {"tsbatch-series": "collection", "tsbatch-table": "table", "tsbatch-matrix": "matrix"}
    found = {}

    def walk(group):
        for obj in group.values():  # creation order: tsbatch tracks it in every group
            kind = kinds.get(_format(obj))
            if kind:
                found[obj.name.lstrip("/")] = kind
            elif isinstance(obj, h5py.Group):
                walk(obj)

    with h5py.File(path, "r") as f:
        if _format(f) == "tsbatch-series":
            return {"/": "collection"}
        walk(f["/"])  # h5py iterates a File object by name, its root group by creation order
    return found
