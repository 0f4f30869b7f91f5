#!/usr/bin/env bash
# The folders of src/ and which others each may include (DESIGN §2): dependencies run one way,
# cli -> pipeline -> {algo, io, ingest, storage, report} -> parallel -> core, with the text
# formats that ingest and storage share (text/) below both. Every
# `#include "DIR/..."` of a file under src/ is checked against the rule of the deepest folder
# that has one; a folder without a rule is an error too, so a new folder gets one.
#
#   include_rules.sh [SRC_DIR]      check SRC_DIR (default: src/ of the source tree)
#   include_rules.sh --self-test    also show that a planted wrong include is caught
set -euo pipefail

# folder: what its files may include (their own folder always). An entry `dir` allows every
# header under src/dir/, an entry `dir/` only the headers directly in it (algo/: the operator
# interfaces, parameters and registry, not the operators in its subfolders).
RULES='
core:
parallel: core
algo: algo/ parallel core
algo/series: algo/ algo/kernels algo/condition core
algo/dataset: algo/ algo/series algo/kernels parallel core
algo/kernels: core
algo/condition: core
synthetic: core
io: parallel core
text: core
ingest: text parallel core
storage: text parallel core
report: parallel core
pipeline: algo synthetic io ingest storage text report parallel core
cli: pipeline algo synthetic io ingest storage text report parallel core
'

# rule_of FILE: the rule line of the deepest folder of FILE (relative to src/) that has one.
rule_of() {
  local dir=${1%/*} line
  while :; do
    line=$(awk -F': *' -v d="$dir" '$1 == d' <<<"$RULES")
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    [[ $dir == */* ]] || return 1
    dir=${dir%/*}
  done
}

# allows ENTRY INCLUDE: whether the rule entry ENTRY covers the include path INCLUDE.
allows() {
  local entry=$1 inc=$2
  if [[ $entry == */ ]]; then
    [[ $inc == "$entry"* && ${inc#"$entry"} != */* ]]
  else
    [[ $inc == "$entry"/* ]]
  fi
}

check() {
  local src=$1 bad=0 file rel rule folder entries inc entry ok
  [ -d "$src" ] || { echo "include_rules: no directory $src" >&2; return 2; }
  while IFS= read -r file; do
    rel=${file#"$src"/}
    [[ $rel == */* ]] || continue            # files directly in src/ (none today)
    if ! rule=$(rule_of "$rel"); then
      echo "include_rules: src/$rel: folder ${rel%/*} has no rule in tests/lint/include_rules.sh" >&2
      bad=1
      continue
    fi
    folder=${rule%%:*}
    entries="$folder ${rule#*:}"
    while IFS= read -r inc; do
      ok=0
      for entry in $entries; do
        if allows "$entry" "$inc"; then ok=1; break; fi
      done
      if [ "$ok" = 0 ]; then
        echo "include_rules: src/$rel includes \"$inc\": ${folder} may include only${rule#*:} (DESIGN §2)" >&2
        bad=1
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\/[^"]*\)".*/\1/p' "$file")
  done < <(find "$src" -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' \) | sort)
  return "$bad"
}

here=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${1:-}" = "--self-test" ]; then
  check "$here/src" || exit 1
  # The check must fail on a tree with one wrong include, for each arrow the layout forbids:
  # a copy of src/ with the include planted in one file, and the message must name it.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  plants='
core/error.hpp pipeline/config.hpp
algo/kernels/fft.hpp parallel/comm.hpp
algo/kernels/fft.hpp algo/params.hpp
algo/series/resample.hpp algo/dataset/dataset_support.hpp
algo/params.hpp io/h5.hpp
algo/operator.hpp ingest/csv_reader.hpp
storage/opentsdb_rules.hpp ingest/csv_reader.hpp
pipeline/config.hpp cli/run_context.hpp
'
  while read -r file inc; do
    [ -n "$file" ] || continue
    rm -rf "$tmp/src"
    cp -R "$here/src" "$tmp/src"
    echo "#include \"$inc\"" >>"$tmp/src/$file"
    if check "$tmp/src" 2>"$tmp/err"; then
      echo "include_rules: self-test: src/$file including $inc passed the check" >&2
      exit 1
    fi
    grep -q "src/$file includes \"$inc\"" "$tmp/err" \
      || { echo "include_rules: self-test: unexpected message:" >&2; cat "$tmp/err" >&2; exit 1; }
  done <<<"$plants"
  echo "include_rules: src/ follows the rules; each planted wrong include is caught"
  exit 0
fi
check "${1:-$here/src}"
