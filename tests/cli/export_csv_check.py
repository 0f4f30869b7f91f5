#!/usr/bin/python3
"""Independent checks of `tsbatch export --to csv` for tests/cli/export_tables.sh.

    export_csv_check.py check RESULT.h5 DIR           every table and matrix of RESULT, cell by cell
    export_csv_check.py covers CATALOGUE.json RESULT.h5...   every operator with a table or
                                                      matrix output has one (a table with rows) in these results

The CSV files are read with Python's csv module and compared with the HDF5 content read by
h5py: integers and strings exactly, floats bit for bit (an empty cell is NaN), timestamps as
ISO 8601 UTC and as the integer of the `_ms` column, matrices with their axis labels.
"""
import csv
import datetime
import glob
import json
import math
import os
import struct
import sys

import h5py
import numpy as np


def fail(message):
    sys.exit(f"FAIL: {message}")


def objects(f):
    """(path, kind) of every table and matrix, in the order written."""
    found = []

    def walk(group):
        for name, obj in group.items():
            fmt = obj.attrs.get("tsbatch_format", "")
            if fmt == "tsbatch-table":
                found.append((obj.name, "table"))
            elif fmt == "tsbatch-matrix":
                found.append((obj.name, "matrix"))
            elif isinstance(obj, h5py.Group) and fmt != "tsbatch-series":
                walk(obj)

    walk(f)
    return found


def read_csv_files(directory, path):
    """The header and the rows of an object's file, or of its parts in order."""
    name = path.lstrip("/").replace("/", ".")
    single = os.path.join(directory, name + ".csv")
    parts = sorted(glob.glob(os.path.join(directory, glob.escape(name) + ".part-*.csv")))
    if os.path.exists(single) == bool(parts):
        fail(f"{path}: expected either {name}.csv or its parts in {directory}, found {single if parts else 'neither'}")
    header, rows = None, []
    for i, file in enumerate(parts or [single]):
        if parts and os.path.basename(file) != f"{name}.part-{i:05d}.csv":
            fail(f"{path}: part {i} is named {os.path.basename(file)}")
        with open(file, newline="", encoding="utf-8") as fh:
            lines = list(csv.reader(fh))
        if not lines:
            fail(f"{file}: empty, without even a header")
        if header is not None and lines[0] != header:
            fail(f"{file}: header {lines[0]} differs from the first part's {header}")
        header = lines[0]
        rows += lines[1:]
    return header, rows, len(parts)


def bits(x):
    return struct.pack("<d", x)


def same_float(cell, value, where):
    if math.isnan(value):
        if cell != "":
            fail(f"{where}: NaN written as {cell!r}, not as an empty cell")
    elif cell == "" or bits(float(cell)) != bits(value):
        fail(f"{where}: {cell!r} does not read back as {value!r}")


def iso(ms):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=int(ms))
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def check_table(g, header, rows):
    want_header = []
    for name, col in g.items():
        want_header.append(name)
        if col.attrs.get("unit", "") == "epoch_ms":
            want_header.append(name + "_ms")
    if header != want_header:
        fail(f"{g.name}: header {header}, expected {want_header}")
    n = len(next(iter(g.values()))) if len(g) else 0
    if len(rows) != n:
        fail(f"{g.name}: {len(rows)} rows in the CSV, {n} in the file")
    at = 0
    for name, col in g.items():
        values = col.asstr()[()] if h5py.check_string_dtype(col.dtype) is not None else col[()]
        timestamp = col.attrs.get("unit", "") == "epoch_ms"
        for i in range(n):
            where = f"{g.name} row {i} column {name}"
            cell = rows[i][at]
            if h5py.check_string_dtype(col.dtype) is not None:
                if cell != values[i]:
                    fail(f"{where}: {cell!r} != {values[i]!r}")
            elif col.dtype.kind in "iu":
                if timestamp:
                    if cell != iso(values[i]) or rows[i][at + 1] != str(int(values[i])):
                        fail(f"{where}: {cell!r}, {rows[i][at + 1]!r} for {int(values[i])} ms")
                elif cell != str(int(values[i])):
                    fail(f"{where}: {cell!r} != {int(values[i])}")
            else:
                same_float(cell, float(values[i]), where)
        at += 2 if timestamp else 1
    return n


def labels(m, axis):
    attr = m.attrs.get("row_labels" if axis == 0 else "col_labels")
    if attr is not None:
        return str(attr).split(",")
    sibling = m.parent.get(m.attrs.get("row_axis" if axis == 0 else "col_axis", ""))
    if isinstance(sibling, h5py.Group) and "id" in sibling and len(sibling["id"]) == m.shape[axis]:
        return list(sibling["id"].asstr()[()])
    return [str(i) for i in range(m.shape[axis])]


def check_matrix(m, header, rows):
    corner = f"{m.attrs['row_axis']}\\{m.attrs['col_axis']}"
    if header[0] != corner or header[1:] != labels(m, 1):
        fail(f"{m.name}: header {header[:4]}..., expected {corner} then the column labels")
    if m.attrs["row_axis"] == "series" and m.attrs["col_axis"] == "series":
        ids = list(m.parent["series/id"].asstr()[()])
        if header[1:] != ids:
            fail(f"{m.name}: the column labels are not the ids of {m.parent.name}/series")
    values = m[()]
    if len(rows) != values.shape[0]:
        fail(f"{m.name}: {len(rows)} rows in the CSV, {values.shape[0]} in the file")
    row_labels = labels(m, 0)
    for i, row in enumerate(rows):
        if row[0] != row_labels[i] or len(row) != values.shape[1] + 1:
            fail(f"{m.name} row {i}: label {row[0]!r} (expected {row_labels[i]!r}) and {len(row) - 1} values")
        for j in range(values.shape[1]):
            same_float(row[j + 1], float(values[i, j]), f"{m.name}[{i},{j}]")
    return values.shape[0]


def check(result, directory):
    with h5py.File(result, "r") as f:
        found = objects(f)
        if not found:
            fail(f"{result} has no table or matrix")
        tables = matrices = cells = parted = 0
        for path, kind in found:
            header, rows, parts = read_csv_files(directory, path)
            parted += parts > 1
            if kind == "table":
                cells += check_table(f[path], header, rows)
                tables += 1
            else:
                cells += check_matrix(f[path], header, rows)
                matrices += 1
    print(f"{result}: {tables} tables and {matrices} matrices equal their CSV ({cells} rows, {parted} cut into parts)")


def covers(catalogue, results):
    with open(catalogue) as fh:
        ops = json.load(fh)
    want = {o["name"] for o in ops if any(x["kind"] in ("table", "matrix") for x in o["outputs"])}
    seen = set()
    for result in results:
        with h5py.File(result, "r") as f:
            for path, kind in objects(f):
                if kind == "table" and all(len(col) == 0 for col in f[path].values()):
                    continue  # an empty table proves little about the cells
                for p in (path, path.rsplit("/", 1)[0]):
                    if p and p in f and "tsbatch_step_op" in f[p].attrs:
                        seen.add(f[p].attrs["tsbatch_step_op"])
    missing = sorted(want - seen)
    if missing:
        fail(f"no exported table or matrix of {', '.join(missing)}")
    print(f"every operator with a table or matrix output has a non-empty one: {', '.join(sorted(want))}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 4 and sys.argv[1] == "covers":
        covers(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
