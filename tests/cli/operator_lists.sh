# Every operator is named in three places that nothing else ties together: the registry (as
# `tsbatch catalogue` lists it), the README's operator tables, and the rank-invariance configs
# (tests/mpi/*.yaml, run by mpi.rank_invariance on 1, 2 and 3 ranks). A new operator missing
# from the README or from the rank-invariance test fails here, naming the place.
source "$(dirname "$0")/lib.sh"
"$TSBATCH" catalogue --json > catalogue.json
/usr/bin/python3 - catalogue.json "$TSBATCH_SOURCE_DIR" <<'PY'
import glob, json, re, sys
import yaml

catalogue = {op["name"] for op in json.load(open(sys.argv[1]))}
src = sys.argv[2]

readme = open(f"{src}/README.md", encoding="utf-8").read()
start = readme.index("\n## Operators\n")
end = readme.index("\n## ", start + 1)
readme_ops = set(re.findall(r"^\| `([a-z_0-9]+)` \|", readme[start:end], re.M))

config_ops = {}
for path in sorted(glob.glob(f"{src}/tests/mpi/*.yaml")):
    for step in yaml.safe_load(open(path))["steps"]:
        config_ops.setdefault(step["op"], path.split("/")[-1])

failed = False
if len(catalogue) < 2:
    print(f"the catalogue lists {len(catalogue)} operators", file=sys.stderr)
    failed = True
for name, listed in (("README.md's operator tables", readme_ops),
                     ("the rank-invariance configs tests/mpi/*.yaml", set(config_ops))):
    for op in sorted(catalogue - listed):
        print(f"{op}: in the catalogue but not in {name}", file=sys.stderr)
        failed = True
    for op in sorted(listed - catalogue):
        print(f"{op}: in {name} but not in the catalogue", file=sys.stderr)
        failed = True
if failed:
    sys.exit(1)
print(f"{len(catalogue)} operators, the same in the catalogue, README.md and tests/mpi/*.yaml")
PY
