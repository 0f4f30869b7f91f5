# `tsbatch export --to csv` of tables, matrices, steps and whole results: every table and
# matrix of results that hold every operator's table and matrix outputs equals its CSV cell by
# cell (export_csv_check.py, h5py), the files are the same on 1, 2 and 3 ranks, big ones are
# cut into parts, and wrong requests fail with a message naming the object.
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
CHECK="$TSBATCH_SOURCE_DIR/tests/cli/export_csv_check.py"

make_data data.h5 40 400
"$TSBATCH" run "$TSBATCH_SOURCE_DIR/tests/mpi/all_operators.yaml" --set input.path=data.h5 \
  --set output.path=all.h5 >/dev/null
rc=0
"$TSBATCH" run "$TSBATCH_SOURCE_DIR/tests/mpi/grouped_operators.yaml" --set input.path=data.h5 \
  --set output.path=grouped.h5 >/dev/null || rc=$?
[ "$rc" -eq 4 ] || fail "grouped_operators exited $rc, expected 4 (groups without a reference are skipped)"
/usr/bin/python3 "$TSBATCH_SOURCE_DIR/tests/cli/dataset_check.py" make wide.csv
"$TSBATCH" stage-in --from csv --layout wide wide.csv -o grid.h5 >/dev/null
"$TSBATCH" run "$TSBATCH_SOURCE_DIR/tests/mpi/one_grid_operators.yaml" --set input.path=grid.h5 \
  --set output.path=grid_result.h5 >/dev/null
"$TSBATCH" catalogue --json > catalogue.json
/usr/bin/python3 "$CHECK" covers catalogue.json all.h5 grouped.h5 grid_result.h5

# csv_digest DIR: one line per CSV file (name and hash); the collections' parts, which
# depend on the rank count, as the hash of their rows in order.
csv_digest() {
  (cd "$1" && find . -maxdepth 1 -name '*.csv' | sort | xargs -r sha256sum)
  local d
  for d in "$1"/*/; do
    [ -d "$d" ] || continue
    echo "$(basename "$d") $(for p in "$d"part-*.csv.gz; do zcat "$p" | tail -n +2; done | sha256sum)"
  done
}

for result in all grouped grid_result; do
  # Whole files, and cut into parts of 7 rows, on 1, 2 and 3 ranks: the same files.
  for n in 1 2 3; do
    "$MPIEXEC" -n $n "$TSBATCH" export --to csv "$result.h5" -o "csv_${result}_$n" >/dev/null
    "$MPIEXEC" -n $n "$TSBATCH" export --to csv "$result.h5" -o "parts_${result}_$n" --rows-per-part 7 >/dev/null
    csv_digest "csv_${result}_$n" > "digest_${result}_$n.txt"
    csv_digest "parts_${result}_$n" > "pdigest_${result}_$n.txt"
  done
  for n in 2 3; do
    cmp -s "digest_${result}_1.txt" "digest_${result}_$n.txt" ||
      fail "$result: the CSV export differs between 1 and $n ranks: $(diff "digest_${result}_1.txt" "digest_${result}_$n.txt" | head)"
    cmp -s "pdigest_${result}_1.txt" "pdigest_${result}_$n.txt" ||
      fail "$result: the CSV parts differ between 1 and $n ranks"
  done
  /usr/bin/python3 "$CHECK" check "$result.h5" "csv_${result}_3"
  /usr/bin/python3 "$CHECK" check "$result.h5" "parts_${result}_2"
done
ls parts_all_1/q.part-00005.csv >/dev/null || fail "a 40-row table with --rows-per-part 7 was not cut into 6 parts"
[ ! -e parts_all_1/q.part-00006.csv ] || fail "a 40-row table with --rows-per-part 7 has a 7th part"

# One table, one matrix, one step: the same files as in the whole export.
"$TSBATCH" export --to csv all.h5:/q -o one >/dev/null
cmp one/q.csv csv_all_1/q.csv || fail "export of /q alone differs from /q in the whole export"
[ "$(ls one)" = "q.csv" ] || fail "export of /q wrote more than q.csv: $(ls one)"
"$TSBATCH" export --to csv all.h5:/corr_all/r -o one_matrix >/dev/null
cmp one_matrix/corr_all.r.csv csv_all_1/corr_all.r.csv || fail "export of /corr_all/r alone differs"
expect_exit 0 "$TSBATCH" export --to csv all.h5:/out_mad -o step
expect_output "exported 1 table and 0 matrices of all.h5:/out_mad"
[ -f step/out_mad.flags.csv ] && ls step/out_mad.series/part-00000.csv.gz >/dev/null ||
  fail "a step with a table and a collection: expected out_mad.flags.csv and out_mad.series/: $(ls step)"
head -1 one/q.csv | grep -qx 'series_index,id,nb_points,nb_nan,start,start_ms,end,end_ms,min,max,mean,variance,std,ref_period,min_period,max_period,mean_period,nb_gaps,longest_gap' ||
  fail "q.csv header: $(head -1 one/q.csv)"
# A collection alone is exported as before: parts straight in the directory.
"$TSBATCH" export --to csv all.h5:/z -o coll >/dev/null
[ "$(ls coll)" = "part-00000.csv.gz" ] || fail "export of a collection: $(ls coll)"

# A table exported again without parts into a directory that holds its parts: the parts go.
cp -r parts_all_1 again
"$TSBATCH" export --to csv all.h5:/q -o again >/dev/null
[ -f again/q.csv ] && ! ls again/q.part-* >/dev/null 2>&1 || fail "stale parts of q were left beside q.csv"
# ...and parts written where a whole file was: the whole file goes.
"$TSBATCH" export --to csv all.h5:/q -o again --rows-per-part 20 >/dev/null
[ ! -e again/q.csv ] && [ -f again/q.part-00001.csv ] && [ ! -e again/q.part-00002.csv ] ||
  fail "after a cut into 2 parts: $(ls again | grep '^q\.')"

# Wrong requests: exit codes and messages that name the object; nothing written.
expect_exit 3 "$TSBATCH" export --to opentsdb-import all.h5:/q -o bad1
expect_output "all.h5:/q is a table; opentsdb-import takes one collection"
expect_exit 3 "$TSBATCH" export --to csv all.h5:/nope -o bad2
expect_output "all.h5: has no group or dataset /nope"
expect_exit 2 "$TSBATCH" export --to csv all.h5:/q -o bad3 --rows-per-part 0
[ ! -e bad1 ] && [ ! -e bad2 ] && [ ! -e bad3 ] || fail "a refused export created its directory"
touch not_a_dir
expect_exit 2 "$TSBATCH" export --to csv all.h5:/q -o not_a_dir
expect_output "not_a_dir"
echo "export --to csv: tables, matrices, steps and whole results checked"
