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

# folder: the top-level folders its files may include (itself always allowed)
RULES='
core:
parallel: core
algo: parallel core
algo/kernels: core
io: parallel core
text: core
ingest: text parallel core
storage: text parallel core
report: parallel core
pipeline: algo io ingest storage text report parallel core
cli: pipeline algo io ingest storage text report parallel core
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

check() {
  local src=$1 bad=0 file rel rule folder allowed inc target
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
    allowed=" ${rule#*:} ${folder%%/*} "
    [ "$folder" = "algo/kernels" ] && allowed=" ${rule#*:} "   # kernels: not the rest of algo/
    while IFS= read -r inc; do
      target=${inc%%/*}
      if [ "$folder" = "algo/kernels" ] && [[ $inc == algo/kernels/* ]]; then continue; fi
      if [[ $allowed != *" $target "* ]]; then
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
  # The check must fail on a tree with one wrong include: a copy of src/ in which a core
  # header includes the pipeline.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cp -R "$here/src" "$tmp/src"
  echo '#include "pipeline/config.hpp"' >>"$tmp/src/core/error.hpp"
  if check "$tmp/src" 2>"$tmp/err"; then
    echo "include_rules: self-test: a core file including pipeline/ passed the check" >&2
    exit 1
  fi
  grep -q 'src/core/error.hpp includes "pipeline/config.hpp"' "$tmp/err" \
    || { echo "include_rules: self-test: unexpected message:" >&2; cat "$tmp/err" >&2; exit 1; }
  echo "include_rules: src/ follows the rules; a planted core -> pipeline include is caught"
  exit 0
fi
check "${1:-$here/src}"
