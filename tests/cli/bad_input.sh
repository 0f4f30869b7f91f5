# Bad input of every kind the foundation handles: a documented exit code, a message naming
# the key or file, and no output file.
source "$(dirname "$0")/lib.sh"
make_data data.h5 10 100

write_config() {  # write_config FILE [extra lines appended under steps]
  cat > "$1" <<YAML
input: {path: ${INPUT:-data.h5}}
steps:
  - {name: q, op: ${OP:-quality_stats}${PARAMS:-}}
output: {path: ${OUTPUT:-out/r.h5}}
${EXTRA:-}
YAML
}
no_output() { [ ! -e "${1:-out/r.h5}" ] || fail "output file exists after a failed run"; }

# Unknown key: exit 2, names file, line and key.
EXTRA="flavour: vanilla" write_config unknown_key.yaml
expect_exit 2 "$TSBATCH" run unknown_key.yaml
expect_output "unknown_key.yaml:5"
expect_output "flavour"
no_output

# Wrong type: a number where a map is expected.
cat > wrong_type.yaml <<'YAML'
input: 42
steps: []
output: {path: out/r.h5}
YAML
expect_exit 2 "$TSBATCH" run wrong_type.yaml
expect_output "wrong_type.yaml:1"
expect_output "input"
no_output

# Wrong parameter type.
PARAMS=", params: {gap_factor: lots}" write_config bad_param.yaml
expect_exit 2 "$TSBATCH" run bad_param.yaml
expect_output "steps.q.params.gap_factor"
no_output

# Unknown operator.
OP=frobnicate write_config unknown_op.yaml
expect_exit 2 "$TSBATCH" run unknown_op.yaml
expect_output "frobnicate"
expect_output "unknown_op.yaml:3"
no_output

# Missing config file.
expect_exit 2 "$TSBATCH" run does_not_exist.yaml
expect_output "does_not_exist.yaml"

# Missing input file: input data error (3).
INPUT=missing.h5 write_config missing_input.yaml
expect_exit 3 "$TSBATCH" run missing_input.yaml
expect_output "missing.h5: no such file"
no_output
expect_exit 3 "$TSBATCH" validate missing_input.yaml

# Not an HDF5 file, and an HDF5 file that is not tsbatch's.
echo "time,value" > not_hdf5.h5
INPUT=not_hdf5.h5 write_config foreign1.yaml
expect_exit 3 "$TSBATCH" run foreign1.yaml
expect_output "not_hdf5.h5: not an HDF5 file"
no_output
/usr/bin/python3 -c "import h5py; f = h5py.File('foreign.h5', 'w'); f['x'] = [1, 2, 3]"
INPUT=foreign.h5 write_config foreign2.yaml
expect_exit 3 "$TSBATCH" run foreign2.yaml
expect_output "foreign.h5: not a tsbatch series collection"
no_output

# Unwritable output path: its parent is a regular file.
touch blocker
OUTPUT=blocker/sub/r.h5 write_config unwritable.yaml
expect_exit 2 "$TSBATCH" run unwritable.yaml
expect_output "blocker/sub/r.h5"
no_output blocker/sub/r.h5
expect_exit 2 "$TSBATCH" validate unwritable.yaml
expect_exit 2 "$MPIEXEC" -n 2 "$TSBATCH" run unwritable.yaml
[ "$(grep -c 'blocker/sub/r.h5' <<<"$OUT")" -eq 1 ] || fail "message printed more than once: $OUT"
grep -q MPI_ABORT <<<"$OUT" && fail "a bad destination must not abort the job: $OUT"
# ... and a directory where the file should go.
mkdir -p out/dir.h5
OUTPUT=out/dir.h5 write_config dir.yaml
expect_exit 2 "$TSBATCH" run dir.yaml
expect_output "is a directory"

# The same errors under 2 ranks: same code, printed once.
expect_exit 3 "$MPIEXEC" -n 2 "$TSBATCH" run missing_input.yaml
expect_output "missing.h5: no such file"
[ "$(grep -c 'no such file' <<<"$OUT")" -eq 1 ] || fail "message printed more than once: $OUT"
expect_exit 2 "$MPIEXEC" -n 2 "$TSBATCH" run unknown_key.yaml
no_output

# --set errors name the override.
write_config ok.yaml
expect_exit 2 "$TSBATCH" run ok.yaml --set steps.nosuch.params.x=1
expect_output "--set steps.nosuch.params.x=1"
expect_exit 2 "$TSBATCH" run ok.yaml --set steps.q.params.gap_factor=-1
expect_output "gap_factor"
no_output

# Bad command-line values.
expect_exit 2 "$TSBATCH" generate -o x.h5 --series 0 --points 10
expect_exit 2 "$TSBATCH" generate -o x.h5 --series ten --points 10
expect_exit 2 "$TSBATCH" generate -o x.h5 --series 1099511627776 --points 1099511627776
expect_output "overflows"

# An invalid series (repeated timestamp) inside an otherwise good file: fail names the
# series (exit 3); with on_series_error: skip the run finishes with exit 4 and lists it.
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
with h5py.File("dup.h5", "w") as f:
    f.attrs["tsbatch_format"] = "tsbatch-series"
    f.attrs["tsbatch_format_version"] = np.int64(1)
    f["series/id"] = np.array([b"ok{a=1}", b"dup{a=2}"], dtype="S8")
    f["series/metric"] = np.array([b"ok", b"dup"], dtype="S3")
    f["series/tags"] = np.array([b"a=1", b"a=2"], dtype="S3")
    f["series/offset"] = np.array([0, 3], dtype=np.uint64)
    f["series/count"] = np.array([3, 3], dtype=np.uint64)
    f["points/time"] = np.array([1, 2, 3, 1, 2, 2], dtype=np.int64)
    f["points/value"] = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
PY
INPUT=dup.h5 write_config dup.yaml
expect_exit 3 "$TSBATCH" run dup.yaml
expect_output "dup{a=2}"
expect_output "not strictly increasing"
no_output
# On 2 ranks the bad series sits on rank 1 only (a first series of 1.1 M points fills the
# first chunk, which rank 0 takes): every rank still stops with code 3, and the message,
# tagged with the rank that found it, is printed once.
/usr/bin/python3 - <<'PY'
import h5py, numpy as np
n = 1_100_000
with h5py.File("dup2.h5", "w") as f:
    f.attrs["tsbatch_format"] = "tsbatch-series"
    f.attrs["tsbatch_format_version"] = np.int64(1)
    f["series/id"] = np.array([b"long{a=1}", b"dup{a=2}"])
    f["series/metric"] = np.array([b"long", b"dup"])
    f["series/tags"] = np.array([b"a=1", b"a=2"])
    f["series/offset"] = np.array([0, n], dtype=np.uint64)
    f["series/count"] = np.array([n, 3], dtype=np.uint64)
    f["points/time"] = np.concatenate([np.arange(n, dtype=np.int64) * 1000, np.array([1, 2, 2], dtype=np.int64)])
    f["points/value"] = np.zeros(n + 3)
PY
INPUT=dup2.h5 write_config dup2.yaml
expect_exit 3 "$MPIEXEC" -n 2 "$TSBATCH" run dup2.yaml
expect_output "rank 1: dup2.h5: series 'dup{a=2}'"
[ "$(grep -c 'not strictly increasing' <<<"$OUT")" -eq 1 ] || fail "message printed more than once: $OUT"
no_output
expect_exit 4 "$MPIEXEC" -n 2 "$TSBATCH" run dup2.yaml --set run.on_series_error=skip
rm -f out/r.h5
expect_exit 4 "$TSBATCH" run dup.yaml --set run.on_series_error=skip
expect_output "1 series skipped"
[ -f out/r.h5 ] || fail "skip run wrote no result"
expect_exit 0 "$TSBATCH" inspect out/r.h5
expect_output "/_run_skipped"
# A selection that matches nothing is not an error, but it is said.
expect_exit 0 "$TSBATCH" run ok.yaml --set input.select.metric=nomatch --set output.path=out/empty.h5
expect_output "warning: input.select matches none of the 10 series"

echo "bad_input: OK"
