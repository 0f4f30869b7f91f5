# The same input and config give the same result data on 1, 2 and 3 ranks (oversubscribed),
# and `generate` writes the same file on 1 and 3 ranks, every rank generating some of it.
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
# generate: 3,100 series make 4 chunks (1,024 series each at most), so each of 3 ranks
# generates some; the run says how many, and a rank with none fails the test.
"$MPIEXEC" -n 1 "$TSBATCH" generate -o big1.h5 --series 3100 --points 100 --seed 9 >/dev/null
"$MPIEXEC" -n 3 "$TSBATCH" generate -o big3.h5 --series 3100 --points 100 --seed 9 > big3.txt
shares=$(sed -n 's/^series per rank: //p' big3.txt)
[ -n "$shares" ] || fail "generate on 3 ranks did not say how it shared the series: $(cat big3.txt)"
[[ ", $shares," != *", 0,"* ]] || fail "generate: a rank got no series on 3 ranks ($shares)"
"$TSBATCH" inspect --digest big1.h5 > g1.txt
"$TSBATCH" inspect --digest big3.h5 > g3.txt
cmp g1.txt g3.txt || fail "generate differs between 1 and 3 ranks"
echo "generate: identical on 1 and 3 ranks (series per rank: $shares)"
# The runs below read a smaller file.
"$MPIEXEC" -n 1 "$TSBATCH" generate -o gen1.h5 --series 150 --points 800 --seed 9 >/dev/null

# check_config CONFIG INPUT: the run gives the same result data on 1, 2 and 3 ranks.
check_config() {
  local cfg=$1 input=$2 name n rc
  name=$(basename "$cfg" .yaml)
  for n in 1 2 3; do
    # Exit 4 (series skipped) is expected where a config skips whole groups.
    rc=0
    # Small chunks, so that every rank gets work: at the default size this data is one chunk.
    "$MPIEXEC" -n $n "$TSBATCH" run "$cfg" --set input.path="$input" --set output.path="r_${name}_$n.h5" \
      --set run.chunk_points=3000 --set run.chunk_series=3 > "out_${name}_$n.txt" || rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 4 ] || fail "$name: exit $rc on $n ranks"
    OUT=$(cat "out_${name}_$n.txt")
    expect_every_rank_worked "$name" "$n"
    "$TSBATCH" inspect --digest "r_${name}_$n.h5" > "d_${name}_$n.txt"
  done
  [ -s "d_${name}_1.txt" ] || fail "$name: empty digest"
  cmp "d_${name}_1.txt" "d_${name}_2.txt" || fail "$name: 1 and 2 ranks differ"
  cmp "d_${name}_1.txt" "d_${name}_3.txt" || fail "$name: 1 and 3 ranks differ"
  echo "$name: identical on 1, 2, 3 ranks ($(wc -l < "d_${name}_1.txt") datasets)"
}
for cfg in "$TSBATCH_SOURCE_DIR"/config/*.yaml "$TSBATCH_SOURCE_DIR"/tests/mpi/all_operators.yaml \
           "$TSBATCH_SOURCE_DIR"/tests/mpi/grouped_operators.yaml; do
  check_config "$cfg" gen1.h5
done
# pca and kmeans on values need one time grid: 36 hourly sensors staged from a wide CSV.
/usr/bin/python3 "$TSBATCH_SOURCE_DIR/tests/cli/dataset_check.py" make wide.csv
"$TSBATCH" stage-in --from csv --layout wide wide.csv -o grid.h5 >/dev/null
check_config "$TSBATCH_SOURCE_DIR"/tests/mpi/one_grid_operators.yaml grid.h5

# stage-in: five import files (one of them twice, so series meet duplicates across files and
# ranks) give the same staged file on 1, 2 and 3 ranks, for each duplicate policy.
"$TSBATCH" export --to opentsdb-import gen1.h5 -o exported >/dev/null
zcat exported/part-00000.tsdb.gz > all.tsdb
split -n l/5 -d all.tsdb piece.
cp piece.02 piece.05
for policy in first last mean; do
  for n in 1 2 3; do
    "$MPIEXEC" -n $n "$TSBATCH" stage-in --from opentsdb-import 'piece.*' -o "s_${policy}_$n.h5" \
      --duplicates "$policy" >/dev/null
    "$TSBATCH" inspect --digest "s_${policy}_$n.h5" > "ds_${policy}_$n.txt"
  done
  cmp "ds_${policy}_1.txt" "ds_${policy}_2.txt" || fail "stage-in --duplicates $policy: 1 and 2 ranks differ"
  cmp "ds_${policy}_1.txt" "ds_${policy}_3.txt" || fail "stage-in --duplicates $policy: 1 and 3 ranks differ"
done
echo "stage-in: identical on 1, 2, 3 ranks for --duplicates first, last, mean"
