#!/usr/bin/python3
"""Checks of staged files and export files for the storage command-line tests, with h5py
and plain Python (independent of tsbatch's code). Exits 1 with the differences on failure.

    staged_check.py format FILE.h5[:GROUP] [--unsorted]   staged-format rules (DESIGN §3); series
                                                         sorted by metric then tags unless --unsorted
    staged_check.py vs-import FILE.h5 IMPORT...          same series and points as `tsdb import` text
    staged_check.py vs-fixture FILE.h5 FIXTURE.yaml      same series and points as a pandas fixture
                                                         (tests/fixtures/csv/*.yaml; NaN == NaN)
    staged_check.py vs-h5 A.h5[:G] B.h5[:G]              same series, times and values (NaN == NaN)
    staged_check.py import-order FILE...                 each file's lines grouped by series, series
                                                         sorted by metric then tags, times increasing
"""

import argparse
import gzip
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import points  # noqa: E402


def report(name, rep):
    if rep.ok():
        print(f"{name}: OK: {rep.summary()}")
        return 0
    print(f"{name}: FAILED")
    print(rep.text())
    return 1


def cmd_format(args):
    path, group = points.split_path(args.file)
    problems = points.check_staged(path, group, sorted_series=not args.unsorted)
    if problems:
        print(f"{args.file}: FAILED staged-format checks")
        print("\n".join(problems))
        return 1
    data = points.read_staged(path, group)
    print(f"{args.file}: staged format OK, {len(data)} series, {sum(len(s.time) for s in data.values())} points")
    return 0


def cmd_vs_import(args):
    expected = points.read_import(args.imports)
    actual = points.read_staged(*points.split_path(args.file))
    return report(f"{args.file} vs {' '.join(args.imports)}", points.compare(expected, actual))


def load_fixture(path):
    import yaml

    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    out = {}
    for s in doc["series"]:
        sid = s["id"]
        metric, _, rest = sid.partition("{")
        tags = rest[:-1] if rest else ""
        t = np.asarray(s["time"], dtype=np.int64)
        v = np.asarray([float(x) for x in s["value"]], dtype=np.float64)
        order = np.argsort(t, kind="stable")  # the fixture keeps input order; staged is by time
        out[sid] = points.Series(metric, tags, t[order], v[order])
    return out


def cmd_vs_fixture(args):
    expected = load_fixture(args.fixture)
    actual = points.read_staged(*points.split_path(args.file))
    return report(f"{args.file} vs {os.path.basename(args.fixture)}", points.compare(expected, actual))


def cmd_vs_h5(args):
    expected = points.read_staged(*points.split_path(args.a))
    actual = points.read_staged(*points.split_path(args.b))
    rc = report(f"{args.b} vs {args.a}", points.compare(expected, actual))
    # Same series order too: both are stage-in outputs, sorted the same way.
    if rc == 0 and list(expected) != list(actual):
        print(f"{args.b} vs {args.a}: FAILED: same series in a different order")
        return 1
    return rc


def cmd_import_order(args):
    bad = 0
    for path in args.files:
        opener = gzip.open if path.endswith(".gz") else open
        seen, prev_key, prev_t = set(), None, None
        with opener(path, "rt", encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                parts = line.rstrip("\n").split(" ")
                key = (parts[0].encode(), points.canonical_tags(tuple(p.split("=", 1)) for p in parts[3:]).encode())
                t = int(parts[1])
                if key != prev_key:
                    if key in seen:
                        print(f"{path}:{lineno}: series {key} appears in two places")
                        bad += 1
                        break
                    if prev_key is not None and key < prev_key:
                        print(f"{path}:{lineno}: series {key} comes after {prev_key} (not sorted by metric then tags)")
                        bad += 1
                        break
                    seen.add(key)
                    prev_key, prev_t = key, None
                if prev_t is not None and t <= prev_t:
                    print(f"{path}:{lineno}: time {t} does not increase (previous {prev_t})")
                    bad += 1
                    break
                prev_t = t
        if not bad:
            print(f"{path}: {len(seen)} series, grouped and sorted")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("format")
    p.add_argument("file")
    p.add_argument("--unsorted", action="store_true")
    p.set_defaults(fn=cmd_format)
    p = sub.add_parser("vs-import")
    p.add_argument("file")
    p.add_argument("imports", nargs="+")
    p.set_defaults(fn=cmd_vs_import)
    p = sub.add_parser("vs-fixture")
    p.add_argument("file")
    p.add_argument("fixture")
    p.set_defaults(fn=cmd_vs_fixture)
    p = sub.add_parser("vs-h5")
    p.add_argument("a")
    p.add_argument("b")
    p.set_defaults(fn=cmd_vs_h5)
    p = sub.add_parser("import-order")
    p.add_argument("files", nargs="+")
    p.set_defaults(fn=cmd_import_order)
    args = ap.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
