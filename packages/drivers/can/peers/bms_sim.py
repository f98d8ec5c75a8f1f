"""A BMS simulator written with python-can + cantools: the safety rig's BMUs on a socketcand bus.

Connects to a socketcand server with python-can's `socketcand` interface, publishes the eight PDOs of
each simulated BMU (safety-rig reference §3.2-§3.3) every period, encoded with cantools from a DBC
(default: test/vectors/busbar_safety_rig_bmu.dbc, our own), answers SDO requests (0x600 + n) with an
expedited download acknowledgement (0x580 + n, CANopen command 0x60), and prints every frame it
receives as a JSON line so that a test can check what our driver sent.

Usage: bms_sim.py --host 127.0.0.1 --port N [--channel can0] [--dbc FILE] [--bmus 1,2,3] [--period 0.1]
stdin commands (one per line): `stop N` (BMU N goes silent), `start N`, `set N SIGNAL VALUE`, `quit`.
stdout: `READY` once connected, then JSON lines {"rx": {"id": int, "ext": bool, "data": "hex"}} and
{"sdo": {"node": n}} for each SDO answered.
"""
import argparse
import json
import sys
import threading
import time
from pathlib import Path

import can
import cantools

HERE = Path(__file__).resolve().parent


def model(n):
    """Plausible physical values of BMU n (14 cells, 7 temperatures)."""
    v = {
        'CMA_Current': -10.0, 'CMA_Voltage': round(47.0 + 0.1 * n, 2), 'Min_Cell_Voltage': 3.3, 'Max_Cell_Voltage': 3.4,
        'CMA_Min_Temp': 24, 'CMA_Max_Temp': 26, 'CMA_Status': 0, 'SOC': 80.0, 'SOH': 98, 'CellBalancingStatus': 0,
        'Charge_Ah_from_BMU': 1000 + n, 'Discharge_Ah_from_BMU': 900 + n,
    }
    for i in range(1, 15):
        v[f'Cell_{i}_Voltage'] = round(3.3 + 0.01 * (i % 5), 2)
        v[f'Cell{i:02d}_SOC'] = 80.0
    for i in range(1, 8):
        v[f'CMA_Temp{i}'] = 25
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--channel', default='can0')
    ap.add_argument('--dbc', default=str(HERE.parent / 'test' / 'vectors' / 'busbar_safety_rig_bmu.dbc'))
    ap.add_argument('--bmus', default='1,2,3')
    ap.add_argument('--period', type=float, default=0.1)
    args = ap.parse_args()

    db = cantools.database.load_file(args.dbc)
    bmus = [int(x) for x in args.bmus.split(',') if x]
    values = {n: model(n) for n in bmus}
    active = set(bmus)
    lock = threading.Lock()
    out_lock = threading.Lock()
    stop = threading.Event()

    def emit(obj):
        with out_lock:
            sys.stdout.write((obj if isinstance(obj, str) else json.dumps(obj)) + '\n')
            sys.stdout.flush()

    bus = can.Bus(interface='socketcand', host=args.host, port=args.port, channel=args.channel)
    emit('READY')

    def publish():
        while not stop.is_set():
            with lock:
                snapshot = [(n, dict(values[n])) for n in sorted(active)]
            for n, vals in snapshot:
                for pdo in range(1, 9):
                    msg = db.get_message_by_name(f'BMU{n:02d}_pdo{pdo}')
                    data = msg.encode({s.name: vals[s.name] for s in msg.signals}, strict=True)
                    bus.send(can.Message(arbitration_id=msg.frame_id, is_extended_id=msg.is_extended_frame, data=data))
            stop.wait(args.period)

    def receive():
        while not stop.is_set():
            m = bus.recv(timeout=0.1)
            if m is None:
                continue
            emit({'rx': {'id': m.arbitration_id, 'ext': m.is_extended_id, 'data': bytes(m.data).hex()}})
            node = m.arbitration_id - 0x600
            if not m.is_extended_id and node in values and len(m.data) == 8:
                # CANopen expedited download acknowledgement: 0x60, index and subindex echoed, data 0.
                resp = bytes([0x60, m.data[1], m.data[2], m.data[3], 0, 0, 0, 0])
                bus.send(can.Message(arbitration_id=0x580 + node, is_extended_id=False, data=resp))
                emit({'sdo': {'node': node}})

    threads = [threading.Thread(target=publish, daemon=True), threading.Thread(target=receive, daemon=True)]
    for t in threads:
        t.start()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        with lock:
            if words[0] == 'quit':
                break
            if words[0] == 'stop':
                active.discard(int(words[1]))
            elif words[0] == 'start':
                active.add(int(words[1]))
            elif words[0] == 'set':
                values[int(words[1])][words[2]] = float(words[3])
    stop.set()
    for t in threads:
        t.join(timeout=2)
    bus.shutdown()


if __name__ == '__main__':
    main()
