# The same input and config give the same result data on 1, 2 and 3 ranks (oversubscribed),
# and `generate` writes the same file on 1 and 3 ranks.
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
"$MPIEXEC" -n 1 "$TSBATCH" generate -o gen1.h5 --series 150 --points 800 --seed 9 >/dev/null
"$MPIEXEC" -n 3 "$TSBATCH" generate -o gen3.h5 --series 150 --points 800 --seed 9 >/dev/null
"$TSBATCH" inspect --digest gen1.h5 > g1.txt
"$TSBATCH" inspect --digest gen3.h5 > g3.txt
cmp g1.txt g3.txt || fail "generate differs between 1 and 3 ranks"

for cfg in "$TSBATCH_SOURCE_DIR"/config/*.yaml "$TSBATCH_SOURCE_DIR"/tests/mpi/all_operators.yaml; do
  name=$(basename "$cfg" .yaml)
  for n in 1 2 3; do
    "$MPIEXEC" -n $n "$TSBATCH" run "$cfg" --set input.path=gen1.h5 --set output.path="r_${name}_$n.h5" >/dev/null
    "$TSBATCH" inspect --digest "r_${name}_$n.h5" > "d_${name}_$n.txt"
  done
  [ -s "d_${name}_1.txt" ] || fail "$name: empty digest"
  cmp "d_${name}_1.txt" "d_${name}_2.txt" || fail "$name: 1 and 2 ranks differ"
  cmp "d_${name}_1.txt" "d_${name}_3.txt" || fail "$name: 1 and 3 ranks differ"
  echo "$name: identical on 1, 2, 3 ranks ($(wc -l < "d_${name}_1.txt") datasets)"
done
