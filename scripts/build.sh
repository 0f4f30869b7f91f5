# Sourced by scripts/setup, scripts/test and scripts/fuzz: the build directories, how each is
# configured, and the phase timings and compiler-cache figures that scripts/test prints.
#
#   build/           Release, GCC: the program, the benchmarks, the whole test suite
#   build-sanitize/  Clang, ASan + UBSan, libFuzzer coverage: the suite under the sanitizers
#                    and the fuzz targets, from one instrumented compile
#
# Both use Ninja when it is installed and ccache when it is found (cmake/tsbatch_ccache.cmake).

TSBATCH_RELEASE_DIR=build
TSBATCH_SANITIZE_DIR=build-sanitize

# configure_build DIR CMAKE_ARGS...: configures DIR, with Ninja when ninja is installed and DIR
# is new (an existing directory keeps the generator it was made with; CMake refuses a switch).
configure_build() {
  local dir=$1
  shift
  local generator=()
  if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
  cmake -S . -B "$dir" "${generator[@]}" "$@" >/dev/null
}

configure_release() {
  configure_build "$TSBATCH_RELEASE_DIR" -DCMAKE_BUILD_TYPE=Release
}

# The sanitizer build needs Clang (libFuzzer); a directory configured with another compiler
# by an older version of these scripts is made anew rather than failing.
configure_sanitize() {
  local dir=$TSBATCH_SANITIZE_DIR
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang++' "$dir/CMakeCache.txt"; then
    echo "build: $dir was configured with another compiler than clang++; configuring it anew"
    rm -rf "$dir"
  fi
  CC=clang CXX=clang++ configure_build "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTSBATCH_FUZZ=ON
}

# --- phases ----------------------------------------------------------------------------------
# run_phase NAME CMD...: runs CMD, records NAME and its seconds (and FAILED when it fails) for
# print_phases, and returns CMD's status.
TSBATCH_PHASES=()
TSBATCH_T0=$EPOCHREALTIME
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }
run_phase() {
  local name=$1 t0=$EPOCHREALTIME rc=0
  shift
  printf '\n== %s\n' "$name"
  "$@" || rc=$?
  local line
  line=$(printf '%-22s %6s s' "$name" "$(seconds_since "$t0")")
  ((rc == 0)) || line+="  FAILED (exit $rc)"
  TSBATCH_PHASES+=("$line")
  return "$rc"
}
print_phases() {
  echo
  echo "phase timings:"
  printf '  %s\n' "${TSBATCH_PHASES[@]}"
  printf '  %-22s %6s s\n' total "$(seconds_since "$TSBATCH_T0")"
}

# --- compiler cache --------------------------------------------------------------------------
# ccache_snapshot: ccache's counters now (nothing when ccache is missing); ccache_report BEFORE:
# the hits and misses since that snapshot, and the cache's size.
ccache_snapshot() { command -v ccache >/dev/null && ccache --print-stats 2>/dev/null || true; }
ccache_report() {
  command -v ccache >/dev/null || { echo "ccache: not installed"; return 0; }
  local before=$1
  awk -F'\t' -v dir="$(ccache -k cache_dir 2>/dev/null)" '
    NR == FNR { old[$1] = $2; next }
    { d[$1] = $2 - old[$1]; now[$1] = $2 }
    END {
      hits = d["direct_cache_hit"] + d["preprocessed_cache_hit"]; miss = d["cache_miss"]
      printf "ccache: %d hits, %d misses (%.0f%% hit rate) in this run; cache %s: %.0f MiB in %d files\n",
        hits, miss, (hits + miss) ? 100 * hits / (hits + miss) : 0, dir,
        now["cache_size_kibibyte"] / 1024, now["files_in_cache"]
    }' <(printf '%s\n' "$before") <(ccache --print-stats)
}
