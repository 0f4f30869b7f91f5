#!/usr/bin/python3
"""The rows of a PostgreSQL table loaded by `tsbatch export --to postgres` against the HDF5
table they came from, or the collection whose series table it is (h5py), for
tests/integration/postgres_export.sh.

    pg_check.py RESULT.h5 GROUP TABLE [COPIES]

Reads the table with psql (libpq's environment: PGHOST, PGPORT, ...) and compares the rows as
a multiset, each HDF5 row COPIES times (1 by default): integers and text exactly, floats bit
for bit (PostgreSQL 15 prints the shortest text that reads back exactly; every NaN is equal),
timestamps as integer milliseconds, tags as JSON objects, metric from the id, run_id as
"start_time@host" of the result (NULL for a file without them).
"""
import collections
import csv
import io
import json
import subprocess
import sys

import h5py


NULL = "<tsbatch-null>"  # how psql prints NULL here, unlike any value


def psql_csv(sql):
    out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", "-P", f"null={NULL}", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return rows[0], rows[1:]


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def norm_float(text_or_value):
    v = float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(text_or_value, text_or_value))
    return "nan" if v != v else repr(v)


def split_id(series_id):
    brace = series_id.find("{")
    if brace < 0 or not series_id.endswith("}"):
        return series_id, ""
    return series_id[:brace], series_id[brace + 1:-1]


def tags_dict(tags):
    return dict(part.split("=", 1) if "=" in part else (part, "") for part in tags.split(",") if part)


def main(result, group, table, copies):
    _, columns = psql_csv(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = "
        f"to_regclass('{quote_ident(table)}') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")
    if not columns:
        sys.exit(f"FAIL: no table {table}")
    select = []
    for name, kind in columns:
        q = quote_ident(name)
        select.append(f"(extract(epoch from {q}) * 1000)::bigint" if kind.startswith("timestamp") else f"{q}::text")
    _, got_rows = psql_csv(f"SELECT {', '.join(select)} FROM {quote_ident(table)}")
    kinds = [kind for _, kind in columns]
    names = [name for name, _ in columns]

    with h5py.File(result, "r") as f:
        g = f[group]
        run_id = f"{f.attrs['start_time']}@{f.attrs['host']}" if "start_time" in f.attrs else None
        data = {}
        if g.attrs.get("tsbatch_format") == "tsbatch-series":
            # A collection's series table: identity, count, first and last time.
            s = g["series"]
            data["id"] = s["id"].asstr()[()]
            data["series_index"] = list(range(len(data["id"])))
            counts = [int(x) for x in s["count"][()]]
            offsets, time = [int(x) for x in s["offset"][()]], g["points/time"][()]
            data["count"] = [int(x) for x in counts]
            data["first_time"] = [int(time[o]) if c else None for o, c in zip(offsets, counts)]
            data["last_time"] = [int(time[o + c - 1]) if c else None for o, c in zip(offsets, counts)]
        else:
            for name, col in g.items():
                data[name] = col.asstr()[()] if h5py.check_string_dtype(col.dtype) is not None else col[()]
        n = len(next(iter(data.values()))) if data else 0

    def cell(kind, text):
        if text == NULL:
            return None
        if kind == "double precision":
            return norm_float(text)
        if kind == "jsonb":
            return json.dumps(json.loads(text), sort_keys=True)
        return text

    got = collections.Counter(tuple(cell(k, t) for k, t in zip(kinds, row)) for row in got_rows)
    want = collections.Counter()
    for i in range(n):
        row = []
        for name, kind in zip(names, kinds):
            if name == "run_id":
                row.append(run_id)
            elif name == "metric" and "metric" not in data:
                row.append(split_id(data["id"][i])[0])
            elif name == "tags" and "tags" not in data:
                row.append(json.dumps(tags_dict(split_id(data["id"][i])[1]), sort_keys=True))
            elif data[name][i] is None:
                row.append(None)
            elif kind == "double precision":
                row.append(norm_float(float(data[name][i])))
            else:
                row.append(str(data[name][i]) if not isinstance(data[name][i], str) else data[name][i])
        want[tuple(row)] += copies
    if got != want:
        missing = list((want - got).items())[:3]
        extra = list((got - want).items())[:3]
        sys.exit(f"FAIL: {table} differs from {result}:{group}: {sum(got.values())} rows, expected "
                 f"{sum(want.values())}; missing {missing}; unexpected {extra}; columns {columns}")
    print(f"{table}: {sum(got.values())} rows equal {result}:{group} (x{copies}), columns {', '.join(names)}")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) == 5 else 1)
