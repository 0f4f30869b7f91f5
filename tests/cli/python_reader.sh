# python/tsbatch_results.py reads collections, tables, matrices and provenance as the files
# hold them (tests/python/test_tsbatch_results.py, checked against plain h5py reads).
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
make_data data.h5 40 400
"$MPIEXEC" -n 2 "$TSBATCH" run "$TSBATCH_SOURCE_DIR/tests/mpi/all_operators.yaml" --set input.path=data.h5 \
  --set output.path=all.h5 >/dev/null
/usr/bin/python3 "$TSBATCH_SOURCE_DIR/tests/cli/dataset_check.py" make wide.csv
"$TSBATCH" stage-in --from csv --layout wide wide.csv -o grid.h5 >/dev/null
"$TSBATCH" run "$TSBATCH_SOURCE_DIR/tests/mpi/one_grid_operators.yaml" --set input.path=grid.h5 \
  --set output.path=grid_result.h5 >/dev/null
PYTHONPATH="$TSBATCH_SOURCE_DIR/python" /usr/bin/python3 "$TSBATCH_SOURCE_DIR/tests/python/test_tsbatch_results.py" \
  all.h5 grid_result.h5 data.h5
