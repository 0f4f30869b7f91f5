# The man pages and the bash completion the build writes (tsbatch docs) cover every command
# and every option that `--help` lists: they are made from the same description, and this
# checks that nothing is lost between the two.
source "$TSBATCH_SOURCE_DIR/tests/cli/lib.sh"
"$TSBATCH" docs --man man1 --bash-completion tsbatch.bash
commands=$("$TSBATCH" --help | awk '/^Subcommands:/ {on = 1; next} on && NF {print $1}')
[ "$(wc -w <<<"$commands")" -ge 8 ] || fail "could not read the commands from --help: $commands"
[ -f man1/tsbatch.1 ] || fail "no tsbatch.1"
for cmd in $commands; do
  page=man1/tsbatch-$cmd.1
  [ -f "$page" ] || fail "no man page for $cmd"
  grep -qF "tsbatch $cmd" man1/tsbatch.1 || grep -qF "tsbatch $(sed 's/-/\\-/g' <<<"$cmd")" man1/tsbatch.1 ||
    fail "tsbatch.1 does not list $cmd"
  for opt in $("$TSBATCH" "$cmd" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    roff=$(sed 's/-/\\-/g' <<<"$opt")
    grep -qF -- "$roff" "$page" || fail "$page lacks $opt, which '$cmd --help' lists"
    grep -qE -- "^    $cmd\) opts='.*$opt( |')" tsbatch.bash || fail "the completion of $cmd lacks $opt"
  done
done
! grep -q 'docs' <<<"$commands" || fail "the hidden docs command is listed by --help"
[ ! -e man1/tsbatch-docs.1 ] || fail "the hidden docs command has a man page"
bash -n tsbatch.bash || fail "the completion script is not valid bash"
echo "man pages and completion cover $(wc -w <<<"$commands") commands and every option of their --help"
