# `cmake --install` as a cluster administrator runs it: the prefix is moved elsewhere and the
# build and source trees are hidden (an empty tmpfs over each, in a mount namespace of the
# test's own), then a clean shell loads the module with Lmod and runs --version, man -w, the
# completion of `tsbatch r<TAB>` and a 2-rank demo from share/tsbatch/config. Then the Debian
# package: its dependencies are runtime libraries (dpkg-shlibdeps), never -dev packages.
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
BUILD_DIR=$(cd "$(dirname "$TSBATCH")" && pwd)
SOURCE_DIR=$(cd "$TSBATCH_SOURCE_DIR" && pwd)
LMOD_INIT=/usr/share/lmod/lmod/init/bash
[ -f "$LMOD_INIT" ] || fail "Lmod is not installed ($LMOD_INIT missing): run scripts/setup"
command -v unshare >/dev/null || fail "unshare (util-linux) is needed to hide the build tree"
[ "$(id -u)" -eq 0 ] || fail "this test hides the build tree with a mount namespace and needs root"

cmake --install "$BUILD_DIR" --prefix "$WORK/first" >install.log || fail "cmake --install failed: $(cat install.log)"
mv "$WORK/first" "$WORK/moved"  # a relocated install: nothing may name the first prefix
PREFIX=$WORK/moved
for f in bin/tsbatch share/man/man1/tsbatch.1 share/man/man1/tsbatch-run.1 share/bash-completion/completions/tsbatch \
         share/tsbatch/config/demo.yaml share/tsbatch/jobs/slurm/run.sbatch share/tsbatch/apptainer/tsbatch.def \
         share/tsbatch/python/tsbatch_results.py share/tsbatch/modulefiles/tsbatch/0.1.0.lua \
         share/doc/tsbatch/README.md share/doc/tsbatch/BENCHMARKS.md; do
  [ -e "$PREFIX/$f" ] || fail "the install lacks $f"
done
[ -x "$PREFIX/share/tsbatch/jobs/slurm/run.sbatch" ] || fail "the job scripts lost their execute bit"
refs=$(grep -rlF -e "$BUILD_DIR" -e "$WORK/first" "$PREFIX" || true)
[ -z "$refs" ] || fail "installed files name the build tree or the install prefix: $refs"

cat > session.sh <<'SH'
set -euo pipefail
source "$LMOD_INIT"
module use "$PREFIX/share/tsbatch/modulefiles"
module load tsbatch
[ "$(command -v tsbatch)" = "$PREFIX/bin/tsbatch" ] || { echo "tsbatch on PATH: $(command -v tsbatch)"; exit 1; }
[ "$TSBATCH_HOME" = "$PREFIX" ] || { echo "TSBATCH_HOME=$TSBATCH_HOME"; exit 1; }
tsbatch --version
man -w tsbatch
man -w tsbatch-export
man -w ls >/dev/null || { echo "loading the module hid the system's man pages (MANPATH=$MANPATH)"; exit 1; }
source "$TSBATCH_HOME/share/bash-completion/completions/tsbatch"
COMP_WORDS=(tsbatch r); COMP_CWORD=1; _tsbatch; echo "completion of 'tsbatch r': ${COMPREPLY[*]}"
COMP_WORDS=(tsbatch export --to ''); COMP_CWORD=3; _tsbatch; echo "completion of 'tsbatch export --to ': ${COMPREPLY[*]}"
python3 -c 'import tsbatch_results, os; print("python module:", os.path.relpath(tsbatch_results.__file__, os.environ["TSBATCH_HOME"]))'
mkdir demo && cd demo
mpirun -n 2 tsbatch generate -o data/demo.h5 --series 60 --points 500 --seed 4 >/dev/null
mpirun -n 2 tsbatch run "$TSBATCH_HOME/share/tsbatch/config/demo.yaml" > run.txt
tsbatch inspect results/demo.h5 | head -3
echo "demo: $(grep -c . run.txt) lines of summary"
SH
# The build and source trees are gone inside the namespace; only the moved prefix is left.
expect_exit 0 env -i HOME="$WORK" PATH=/usr/local/bin:/usr/bin:/bin LMOD_INIT="$LMOD_INIT" PREFIX="$PREFIX" \
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
  unshare --mount --propagation private -- bash -c \
  'mount -t tmpfs none "$0" && mount -t tmpfs none "$1" && cd "$2" && bash --noprofile --norc session.sh' \
  "$BUILD_DIR" "$SOURCE_DIR" "$WORK"
echo "$OUT"
expect_output "tsbatch 0.1.0"
expect_output "$PREFIX/share/man/man1/tsbatch.1"
expect_output "$PREFIX/share/man/man1/tsbatch-export.1"
expect_output "completion of 'tsbatch r': run"
expect_output "completion of 'tsbatch export --to ': opentsdb-import csv"
expect_output "python module: share/tsbatch/python/tsbatch_results.py"
expect_output "results/demo.h5"
[ -f demo/results/demo.h5 ] || fail "the demo run left no result"

# The Debian package from the same build tree.
(cd "$BUILD_DIR" && cpack -G DEB -B "$WORK/deb" >"$WORK/cpack.log" 2>&1) || fail "cpack -G DEB failed: $(tail -20 cpack.log)"
deb=$(ls "$WORK"/deb/tsbatch_*_amd64.deb) || fail "cpack made no tsbatch_*_amd64.deb: $(ls deb)"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libhdf5-openmpi libopenmpi libyaml-cpp libfmt libcurl openmpi-bin; do
  grep -q "$lib" <<<"$depends" || fail "the package does not depend on $lib: $depends"
done
! grep -q -- '-dev' <<<"$depends" || fail "the package depends on a -dev package: $depends"
dpkg-deb -c "$deb" > contents.txt
grep -q './usr/share/tsbatch/modulefiles/tsbatch/0.1.0.lua' contents.txt || fail "the package lacks the modulefile"
grep -q './usr/bin/tsbatch$' contents.txt || fail "the package lacks /usr/bin/tsbatch"
echo "install: relocated prefix, Lmod module, man pages, completion, demo and package checked"
