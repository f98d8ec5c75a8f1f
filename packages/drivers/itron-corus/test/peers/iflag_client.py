"""Runs iflag 1.0.1 (PyPI `iflag`, pwitab/iflag) as a client against Busbar's Corus simulator.

Usage: iflag_client.py --host 127.0.0.1 --port N [--password PASS]

Signs on, reads parameters (incl. the map name at 0x5E), writes a Word and a Date (ids < 239:
iflag drops the value of two-byte ids, itron-corus README section 12 item 1), reads them back,
reads the interval database across several frames, shuts down, and prints one JSON object.
Decimals are printed as str(), datetimes as ISO text. The password argument is informational:
iflag echoes the device's password message (README section 3.4).
"""
import argparse
import json
from datetime import datetime
from decimal import Decimal

from iflag import CorusClient
from iflag.data import CorusString, Date, Float, Index, Word, Byte, Float1, Float2, Float3, ULong, Null2, Null4
from iflag.data import DatabaseRecordParameter as F, IFlagParameter as P

INTERVAL_52 = [
    F("record_duration", Byte),
    F("status", Byte),
    F("end_date", Date),
    F("consumption_interval_unconverted", Word, affected_by_pulse_input=True),
    F("consumption_interval_converted", ULong, affected_by_pulse_input=True),
    F("counter_interval_unconverted", Word, affected_by_pulse_input=True),
    F("counter_interval_converted", ULong, affected_by_pulse_input=True),
    F("temperature_interval_minimum", Float1),
    F("temperature_interval_maximum", Float1),
    F("temperature_interval_average", Float1),
    F("pressure_interval_minimum", Float2),
    F("pressure_interval_maximum", Float2),
    F("pressure_interval_average", Float2),
    F("flowrate_unconverted_interval_minimum", Float3, affected_by_pulse_input=True),
    F("flowrate_unconverted_interval_maximum", Float3, affected_by_pulse_input=True),
    F("flowrate_converted_interval_minimum", Float3, affected_by_pulse_input=True),
    F("flowrate_converted_interval_maximum", Float3, affected_by_pulse_input=True),
    F("none_data_1", Null4),
    F("flowrate_unconverted_interval_average", Float3, affected_by_pulse_input=True),
    F("flowrate_converted_interval_average", Float3, affected_by_pulse_input=True),
    F("start_date", Date),
    F("none_data_2", Null2),
]

# Ids of the driver's example map (examples/corus-example-map.json).
READ = [P(0x5E, CorusString), P(1, Float), P(15, Byte), P(106, Date), P(107, Word), P(148, Index), P(149, Index), P(200, Float)]


def plain(v):
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime):
        return v.isoformat()
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--password", default="PASS")
    a = ap.parse_args()
    client = CorusClient.with_tcp_transport((a.host, a.port), database_layout={"interval": {52: INTERVAL_52}})
    client.transport.timeout = 10
    client.startup()
    out = {}
    out["map_id"] = client.get_parameter_map_id()
    out["read"] = {str(k): plain(v) for k, v in client.read_parameters(READ).items()}
    client.write_parameters([(P(107, Word), Decimal(1234)), (P(106, Date), datetime(2021, 1, 15, 8, 0, 0))])
    out["read_back"] = {str(k): plain(v) for k, v in client.read_parameters([P(107, Word), P(106, Date)]).items()}
    records = client.read_database("interval", start=datetime(2020, 10, 7, 12, 0, 0), stop=datetime(2020, 10, 7, 10, 0, 0))
    out["records"] = [{k: plain(v) for k, v in r.items()} for r in records]
    client.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
