# A result file is readable by h5py/numpy as DESIGN §3 describes, and consistent with its input.
source "$(dirname "$0")/lib.sh"
make_data data.h5 30 500
cat > run.yaml <<'YAML'
input: {path: data.h5}
steps:
  - {name: q, op: quality_stats}
  - {name: same, op: identity, input: source}
  - {name: daily, op: resample, input: source, params: {period: 1d, aggregation: max}}
output: {path: result.h5, compression: deflate}
YAML
"$MPIEXEC" -n 2 "$TSBATCH" run run.yaml >/dev/null
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
src = h5py.File("data.h5", "r")
res = h5py.File("result.h5", "r")
assert src.attrs["tsbatch_format"] == "tsbatch-series"
assert res.attrs["tsbatch_format"] == "tsbatch-result"
for key in ("tsbatch_version", "tsbatch_git", "config", "command_line", "start_time", "end_time",
            "input_path", "input_size", "input_mtime", "hdf5_version", "mpi_version", "blas", "ranks"):
    assert key in res.attrs, key
assert int(res.attrs["ranks"]) == 2
n = len(src["series/id"])
# identity: the collection equals the source, series by series
same = res["same"]
assert same.attrs["tsbatch_format"] == "tsbatch-series" and same.attrs["tsbatch_step_op"] == "identity"
for name in ("series/id", "series/metric", "series/tags", "series/offset", "series/count", "points/time"):
    assert np.array_equal(same[name][()], src[name][()]), name
assert np.array_equal(same["points/value"][()], src["points/value"][()], equal_nan=True)
off, cnt = same["series/offset"][()], same["series/count"][()]
assert off[0] == 0 and np.all(off[1:] == off[:-1] + cnt[:-1]) and cnt.sum() == len(same["points/time"])
# quality table: one row per series, in order, with the documented columns
q = res["q"]
assert q.attrs["tsbatch_format"] == "tsbatch-table"
assert list(q["series_index"][()]) == list(range(n))
assert np.array_equal(q["id"][()], src["series/id"][()])
cols = ["nb_points", "nb_nan", "start", "end", "min", "max", "mean", "variance", "std", "ref_period",
        "min_period", "max_period", "mean_period", "nb_gaps", "longest_gap"]
for c in cols:
    assert c in q, c
assert np.array_equal(q["nb_points"][()], src["series/count"][()])
t, v = src["points/time"][()], src["points/value"][()]
for i in range(n):
    a, b = int(off[i]), int(off[i] + cnt[i])
    vals = v[a:b]
    assert q["nb_nan"][i] == np.isnan(vals).sum()
    if cnt[i] and not np.all(np.isnan(vals)):
        assert np.isclose(q["mean"][i], np.nanmean(vals), rtol=1e-12)
        assert q["max"][i] == np.nanmax(vals)
    if cnt[i]:
        assert q["start"][i] == t[a] and q["end"][i] == t[b - 1]
# per-step totals agree with the collections
steps = res["_run_steps"]
names = [x.decode() for x in steps["step"][()]]
assert names == ["q", "same", "daily"], names
assert steps["points"][names.index("same")] == len(t)
assert steps["rows"][names.index("q")] == n
assert steps["points"][names.index("daily")] == len(res["daily"]["points/time"])
# daily max: every output timestamp is a day boundary (label start, origin epoch)
d = res["daily"]
assert np.all(d["points/time"][()] % 86400000 == 0)
print("h5py reads result: OK")
PY
