# Bad operator parameters are refused before any data is read: exit 2, the step and the
# parameter named, no output file. Group errors of cut_by_reference: exit 3, or 4 with skip.
source "$(dirname "$0")/lib.sh"
make_data data.h5 24 300

run_step() {  # run_step NAME 'op: X, params: {...}' -> runs a one-step config
  cat > "$1.yaml" <<YAML
input: {path: data.h5}
steps:
  - {name: $1, $2}
output: {path: out/$1.h5}
YAML
  expect_exit "${EXPECT:-2}" "$TSBATCH" run "$1.yaml"
}
no_output() { [ ! -e "out/$1.h5" ] || fail "$1: output file exists after a failed run"; }

run_step neg_window 'op: rolling, params: {window: -5}'
expect_output "steps.neg_window.params.window"
no_output neg_window

run_step big_alphabet 'op: sax, params: {alphabet_size: 27}'
expect_output "steps.big_alphabet.params.alphabet_size"
expect_output "26"
no_output big_alphabet

run_step sta_not_shorter 'op: sta_lta, params: {sta: 10min, lta: 5min}'
expect_output "steps.sta_not_shorter.params.sta"
no_output sta_not_shorter

run_step mp_small_window 'op: matrix_profile, params: {window: 2}'
expect_output "steps.mp_small_window.params.window"
no_output mp_small_window

# A window longer than a series is found once the data is read: still exit 2, naming the step,
# the parameter and the series.
run_step mp_long_window 'op: matrix_profile, params: {window: 100000}'
expect_output "steps.mp_long_window.params.window: window 100000 is longer than series"
no_output mp_long_window

run_step mp_lone_group 'op: matrix_profile, params: {window: 10, group_by: site}'
expect_output "steps.mp_lone_group.params.group_by"
no_output mp_lone_group

run_step bad_set 'op: features, params: {set: catch23}'
expect_output "steps.bad_set.params.set"
expect_output "catch24"
no_output bad_set

run_step bad_condition 'op: cut_y, params: {condition: "1 < y <= and y > 0"}'
expect_output "steps.bad_condition.params.condition"
expect_output "column 10"
no_output bad_condition

run_step unknown_name 'op: cut_y, params: {condition: "x > 3"}'
expect_output "unknown name 'x'"

run_step bad_reference 'op: cut_by_reference, params: {reference: "plant.flow{site", group_by: site, condition: "y > 0"}'
expect_output "steps.bad_reference.params.reference"
no_output bad_reference

# Groups by site: the BH and SM sites have no plant.flow reference. The run fails naming the
# first such group (exit 3, no output), or skips those groups and lists them (exit 4).
EXPECT=3 run_step by_flow 'op: cut_by_reference, params: {reference: plant.flow, group_by: site, condition: "y > 200"}'
expect_output "no series matches the reference 'plant.flow'"
expect_output "group site="
no_output by_flow
expect_exit 4 "$TSBATCH" run by_flow.yaml --set run.on_series_error=skip
[ -f out/by_flow.h5 ] || fail "skip run wrote no result"
expect_exit 0 "$TSBATCH" inspect out/by_flow.h5
expect_output "/by_flow (cut_by_reference)"

echo "bad_operator_params: OK"
