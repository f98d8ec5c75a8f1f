"""Reads a BaSyTec Resultfile with PyProBE (pyprobe-data, import pyprobe) and prints its rows as JSON.

Usage: pyprobe_read.py <resultfile>. Prints {"ok": true, "rows": [...]} with Date as microseconds
since the epoch of the naive local time (PyProBE attaches no zone), or {"ok": false, "error": "...",
"type": "..."} when PyProBE refuses the file (e.g. UnicodeDecodeError on a Latin-1 export).
"""
import json
import sys
import tempfile
import os

from pyprobe.cyclers.basytec import Basytec


def main() -> None:
    path = sys.argv[1]
    out = os.path.join(tempfile.mkdtemp(prefix="busbar-pyprobe-"), "out.parquet")
    try:
        df = Basytec(input_data_path=path, output_data_path=out).get_pyprobe_dataframe()
    except Exception as exc:  # report PyProBE's own failure to the test
        print(json.dumps({"ok": False, "type": type(exc).__name__, "error": str(exc)}))
        return
    rows = []
    epoch = df["Date"].dt.epoch("us").to_list()
    for i, r in enumerate(df.iter_rows(named=True)):
        rows.append({
            "date_us": epoch[i],
            "step": r["Step"],
            "time_s": r["Time [s]"],
            "current_a": r["Current [A]"],
            "voltage_v": r["Voltage [V]"],
            "capacity_ah": r["Capacity [Ah]"],
            "temperature_c": r["Temperature [C]"],
        })
    print(json.dumps({"ok": True, "rows": rows}))


if __name__ == "__main__":
    main()
