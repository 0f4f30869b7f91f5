#!/usr/bin/python3
"""Tests of python/tsbatch_results.py against the same files read with plain h5py.

    test_tsbatch_results.py RESULT.h5 GRID_RESULT.h5 STAGED.h5

RESULT.h5 is tests/mpi/all_operators.yaml's result, GRID_RESULT.h5 one_grid_operators.yaml's,
STAGED.h5 their input. Each test_* function asserts; the runner below calls them all and
exits non-zero on the first failure (pytest runs them the same way).
"""
import sys

import h5py
import numpy as np
import pandas as pd

import tsbatch_results as tr

RESULT, GRID, STAGED = (sys.argv[1:4] if __name__ == "__main__" else ("all.h5", "grid_result.h5", "data.h5"))


def strings(dataset):
    return list(dataset.asstr()[()])


def ms_of(times):
    """A datetime64[ms, UTC] column as integer milliseconds."""
    return times.dt.tz_convert(None).to_numpy().astype("datetime64[ms]").astype("int64")  # exact: whole ms


def tables_of(path):
    return [p for p, kind in tr.steps(path).items() if kind == "table"]


def assert_same_values(got, want, where):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
    if want.dtype.kind == "f":
        assert np.array_equal(got.view("u8"), want.view("u8")), f"{where}: values differ"
    else:
        assert list(got) == list(want), f"{where}: values differ"


# ---------------------------------------------------------------------------------------
# table

def test_every_table_equals_its_columns():
    checked = 0
    for path in (RESULT, GRID):
        with h5py.File(path, "r") as f:
            for step in tables_of(path):
                df = tr.table(path, step)
                g = f[step]
                names = list(g.keys())
                assert list(df.columns) == [n for n in names if n != "id"], f"{step}: columns {list(df.columns)}"
                if "id" in g:
                    assert list(df.index) == strings(g["id"]), f"{step}: index"
                    assert df.index.name == "id"
                for name in df.columns:
                    col = g[name]
                    if col.attrs.get("unit", "") == "epoch_ms":
                        assert str(df[name].dtype) == tr.TIME_DTYPE, f"{step}/{name}: {df[name].dtype}"
                        assert_same_values(ms_of(df[name]),
                                           col[()].astype("int64"), f"{step}/{name}")
                    elif h5py.check_string_dtype(col.dtype) is not None:
                        assert list(df[name]) == strings(col), f"{step}/{name}"
                    else:
                        assert_same_values(df[name].to_numpy(), col[()], f"{step}/{name}")
                checked += 1
    assert checked >= 20, f"only {checked} tables"


def test_table_timestamps_are_utc_datetimes():
    q = tr.table(RESULT, "q")
    with h5py.File(RESULT, "r") as f:
        first = int(f["q/start"][0])
    assert q["start"].iloc[0] == pd.Timestamp(first, unit="ms", tz="UTC")
    # Durations stay numbers in milliseconds.
    assert q["ref_period"].dtype == np.int64 and q["mean_period"].dtype == np.float64


def test_table_filters_by_ids_and_metric():
    q = tr.table(RESULT, "q")
    some = list(q.index[[1, 5, 6, 30]])
    picked = tr.table(RESULT, "q", ids=some)
    pd.testing.assert_frame_equal(picked, q.loc[some])
    levels = tr.table(RESULT, "q", metric="gw.level")
    want = q[[i.startswith("gw.level{") or i == "gw.level" for i in q.index]]
    assert len(want) > 0
    pd.testing.assert_frame_equal(levels, want)
    all_flags = tr.table(RESULT, "out_mad/flags")
    flagged = all_flags.index[len(all_flags) // 2]
    flags = tr.table(RESULT, "out_mad/flags", ids=[flagged])
    pd.testing.assert_frame_equal(flags, all_flags.loc[[flagged]])
    assert len(tr.table(RESULT, "q", ids=["no such series"])) == 0


def test_table_without_series_rows_keeps_a_plain_index():
    steps = tr.table(RESULT, "_run_steps")
    assert list(steps.index) == list(range(len(steps)))
    assert "step" in steps.columns


# ---------------------------------------------------------------------------------------
# collection

def collection_from_h5py(path, step):
    with h5py.File(path, "r") as f:
        g = f[step]
        ids, metrics, tags = strings(g["series/id"]), strings(g["series/metric"]), strings(g["series/tags"])
        off, cnt = g["series/offset"][()], g["series/count"][()]
        time, value = g["points/time"][()], g["points/value"][()]
    rows = []
    for i in range(len(ids)):
        for k in range(int(off[i]), int(off[i] + cnt[i])):
            rows.append((ids[i], metrics[i], tags[i], int(time[k]), value[k]))
    return rows


def test_collection_is_the_long_form_of_every_point():
    for path, step in ((RESULT, "r_mean"), (RESULT, "cy/match"), (STAGED, "/")):
        df = tr.collection(path, step)
        want = collection_from_h5py(path, step)
        assert len(df) == len(want), f"{step}: {len(df)} rows, {len(want)} points"
        assert list(df.columns[:2]) == ["id", "metric"] and list(df.columns[-2:]) == ["time", "value"]
        assert str(df["time"].dtype) == tr.TIME_DTYPE
        assert list(df["id"]) == [w[0] for w in want]
        assert list(df["metric"]) == [w[1] for w in want]
        ms = ms_of(df["time"])
        assert_same_values(ms, np.array([w[3] for w in want], dtype="int64"), f"{step} time")
        assert_same_values(df["value"].to_numpy(), np.array([w[4] for w in want]), f"{step} value")
        # One column per tag key, between metric and time.
        for i, w in enumerate(want[:: max(1, len(want) // 50)]):
            row = df.iloc[i * max(1, len(want) // 50)]
            for kv in filter(None, w[2].split(",")):
                key, value = kv.split("=", 1)
                assert row[key] == value, f"{step}: tag {key}"


class ReadCounter:
    """Counts the elements h5py reads from points/ datasets while active."""

    def __enter__(self):
        self.elements = 0
        self.original = h5py.Dataset.__getitem__
        counter = self

        def counting(dataset, key):
            out = counter.original(dataset, key)
            if "/points/" in dataset.name or dataset.name.startswith("/points"):
                counter.elements += np.size(out)
            return out

        h5py.Dataset.__getitem__ = counting
        return self

    def __exit__(self, *exc):
        h5py.Dataset.__getitem__ = self.original


def test_collection_filters_read_only_the_series_kept():
    full = tr.collection(RESULT, "r_mean")
    ids = list(pd.unique(full["id"]))
    some = [ids[3], ids[4], ids[17]]
    with ReadCounter() as reads:
        picked = tr.collection(RESULT, "r_mean", ids=some)
    pd.testing.assert_frame_equal(picked.reset_index(drop=True),
                                  full[full["id"].isin(some)].reset_index(drop=True), check_dtype=False)
    # time and value of the kept series only: 2 elements per point.
    assert reads.elements == 2 * len(picked), f"read {reads.elements} elements for {len(picked)} points"
    with ReadCounter() as reads:
        ph = tr.collection(RESULT, "r_mean", metric="water.ph")
    assert len(ph) > 0 and set(ph["metric"]) == {"water.ph"}
    assert reads.elements == 2 * len(ph)
    assert len(tr.collection(RESULT, "r_mean", ids=["no such series"])) == 0


# ---------------------------------------------------------------------------------------
# matrix, provenance, steps

def test_correlation_matrix_is_labelled_by_series_id():
    r = tr.matrix(RESULT, "corr_all", "r")
    with h5py.File(RESULT, "r") as f:
        ids = strings(f["corr_all/series/id"])
        values = f["corr_all/r"][()]
    assert list(r.index) == ids and list(r.columns) == ids
    assert r.index.name == "series" and r.columns.name == "series"
    assert_same_values(r.to_numpy(), values, "corr_all/r")
    i, j = 3, 7
    assert r.loc[ids[i], ids[j]] == values[i, j] or (np.isnan(values[i, j]) and np.isnan(r.loc[ids[i], ids[j]]))


def test_kmeans_centroids_are_labelled_by_feature_column():
    c = tr.matrix(RESULT, "km_q", "centroids")
    assert list(c.columns) == ["nb_points", "nb_nan", "mean_period"]
    assert list(c.index) == [0, 1, 2, 3] and c.index.name == "cluster"


def test_pca_loadings_rows_are_components_and_columns_series():
    loadings = tr.matrix(GRID, "pca", "loadings")
    with h5py.File(GRID, "r") as f:
        ids = strings(f["pca/series/id"])
        values = f["pca/loadings"][()]
    assert list(loadings.columns) == ids and list(loadings.index) == [0, 1, 2]
    assert_same_values(loadings.to_numpy(), values, "pca/loadings")


def test_provenance_is_a_dict_of_plain_values():
    p = tr.provenance(RESULT)
    assert p["tsbatch_format"] == "tsbatch-result"
    assert isinstance(p["config"], str) and "steps:" in p["config"]
    assert isinstance(p["ranks"], int) and p["ranks"] >= 1
    assert isinstance(p["tsbatch_version"], str)


def test_steps_lists_objects_in_written_order():
    steps = tr.steps(RESULT)
    keys = list(steps)
    assert steps["q"] == "table" and steps["z"] == "collection" and steps["corr_all/r"] == "matrix"
    assert steps["cy/match"] == "collection"
    assert keys.index("q") < keys.index("copy") < keys.index("motif")
    assert tr.steps(STAGED) == {"/": "collection"}


def test_wrong_kinds_and_missing_steps_are_clear_errors():
    for call, kind in ((lambda: tr.table(RESULT, "z"), ValueError), (lambda: tr.collection(RESULT, "q"), ValueError),
                       (lambda: tr.matrix(RESULT, "corr_all", "top_pairs"), ValueError),
                       (lambda: tr.table(RESULT, "nope"), KeyError)):
        try:
            call()
        except kind as e:
            assert RESULT in str(e), str(e)
        else:
            raise AssertionError(f"no {kind.__name__}")


if __name__ == "__main__":
    tests = [(name, fn) for name, fn in list(globals().items()) if name.startswith("test_") and callable(fn)]
    for name, fn in tests:
        fn()
        print(f"ok {name}")
    print(f"{len(tests)} tests passed")
