"""Generates the cantools decode/encode vectors in test/vectors/*.vectors.json.

cantools (PyPI, MIT) is the oracle: for every message of each DBC it decodes random frames and encodes
random physical values, and records the DBC properties (message and signal counts, ids, lengths,
signal layouts, ranges, comments, cycle times) that the TypeScript parser must reproduce.

Run with the peers venv (scripts/peers/setup-venv.sh installs cantools==45.1.0):
    .venv/peers/bin/python packages/drivers/can/scripts/gen-vectors.py
The seed is fixed: regenerating with the same cantools gives the same files.

tesla_can.dbc: cantools 45.1.0 refuses to load it even with strict=False ("unused VAL_ entries": VAL_ 568
UI_mapSpeedLimit names a signal that message 568 does not have). The generator drops such dangling VAL_
lines in memory before loading (the file on disk is unchanged) and records what it dropped.
"""
import json
import math
import random
import re
from pathlib import Path

import cantools
from cantools.database.errors import EncodeError

HERE = Path(__file__).resolve().parent.parent / 'test' / 'vectors'
rng = random.Random(20261203)


def sig_props(s):
    return {
        'name': s.name, 'startBit': s.start, 'length': s.length,
        'byteOrder': s.byte_order, 'signed': s.is_signed,
        'valueType': ('float32' if s.length == 32 else 'float64') if s.is_float else 'integer',
        'factor': s.scale, 'offset': s.offset, 'minimum': s.minimum, 'maximum': s.maximum,
        'unit': s.unit or '', 'isMultiplexer': s.is_multiplexer,
        'multiplexerSignal': s.multiplexer_signal, 'multiplexerIds': s.multiplexer_ids,
        'choices': None if s.choices is None else {str(k): str(v) for k, v in s.choices.items()},
        'comment': s.comment, 'receivers': s.receivers,
    }


def msg_props(m):
    return {
        'name': m.name, 'id': m.frame_id, 'extended': m.is_extended_frame, 'length': m.length,
        'senders': m.senders, 'comment': m.comment, 'cycleTimeMs': m.cycle_time,
        'signals': [sig_props(s) for s in m.signals],
    }


def finite(values):
    return all(not (isinstance(v, float) and (math.isnan(v) or math.isinf(v))) for v in values.values())


def random_decode(m, tries=50):
    for _ in range(tries):
        data = bytes(rng.getrandbits(8) for _ in range(m.length))
        try:
            values = m.decode(data, decode_choices=False, scaling=True)
        except Exception:
            continue
        if finite(values):
            labels = m.decode(data, decode_choices=True, scaling=True)
            labels = {k: str(v) for k, v in labels.items() if not isinstance(v, (int, float))}
            return data, values, labels
    return None


def random_physical(m, s):
    if s.is_float:
        raw = rng.choice([rng.uniform(-1e6, 1e6), rng.uniform(-1, 1), float(rng.randint(-1000, 1000))])
        return raw * s.scale + s.offset
    lo, hi = (-(1 << (s.length - 1)), (1 << (s.length - 1)) - 1) if s.is_signed else (0, (1 << s.length) - 1)
    for _ in range(30):
        raw = rng.randint(lo, hi)
        v = raw * s.scale + s.offset + rng.uniform(-0.4, 0.4) * s.scale
        if s.minimum is not None and v < s.minimum:
            continue
        if s.maximum is not None and v > s.maximum:
            continue
        return v
    return s.minimum if s.minimum is not None else lo * s.scale + s.offset


def random_encode(m):
    base = random_decode(m)
    if base is None:
        return None
    _, decoded, _ = base
    values = {}
    for name, v in decoded.items():
        s = m.get_signal_by_name(name)
        values[name] = v if s.is_multiplexer else random_physical(m, s)
    try:
        data = m.encode(values, scaling=True, strict=True)
    except EncodeError:
        return None
    return values, data


def out_of_range(m):
    base = random_encode(m)
    if base is None:
        return None
    decoded, _ = base
    ranged = [m.get_signal_by_name(n) for n in decoded if m.get_signal_by_name(n).maximum is not None and not m.get_signal_by_name(n).is_multiplexer]
    if not ranged:
        return None
    s = rng.choice(ranged)
    values = dict(decoded)
    values[s.name] = s.maximum + abs(s.scale) * rng.choice([1, 10, 1000]) if rng.random() < 0.5 else s.minimum - abs(s.scale) * rng.choice([1, 10, 1000])
    try:
        m.encode(values, scaling=True, strict=True)
    except EncodeError as e:
        return {'message': m.name, 'values': values, 'signal': s.name, 'cantoolsError': str(e)}
    return None


def generate(name, source, per_message, strict=True, encode=True):
    path = HERE / name
    text = path.read_text(encoding='utf-8', errors='replace')
    dropped = []
    db = None
    for _ in range(20):
        try:
            db = cantools.database.load_string(text, strict=strict)
            break
        except Exception as e:
            m = re.search(r'unused VAL_ entries in DBC:\s*((?:\s*VAL_ \d+ \w+)+)', str(e))
            if m is None:
                raise
            for entry in re.findall(r'VAL_ (\d+) (\w+)', m.group(1)):
                dropped.append(f'VAL_ {entry[0]} {entry[1]}')
                text = re.sub(rf'^VAL_ {entry[0]} {entry[1]} .*$', '', text, flags=re.M)
    out = {
        'dbc': name, 'source': source, 'oracle': f'cantools {cantools.__version__}', 'strict': strict,
        'droppedForCantools': dropped,
        'messageCount': len(db.messages), 'signalCount': sum(len(m.signals) for m in db.messages),
        'messages': [msg_props(m) for m in db.messages], 'decode': [], 'encode': [], 'encodeErrors': [],
    }
    for m in db.messages:
        for _ in range(per_message):
            d = random_decode(m)
            if d is not None:
                data, values, labels = d
                out['decode'].append({'message': m.name, 'id': m.frame_id, 'extended': m.is_extended_frame, 'data': data.hex(), 'values': values, 'labels': labels})
            if encode:
                e = random_encode(m)
                if e is not None:
                    values, data = e
                    out['encode'].append({'message': m.name, 'values': values, 'data': data.hex()})
        if encode:
            bad = out_of_range(m)
            if bad is not None:
                out['encodeErrors'].append(bad)
    dest = HERE / (path.stem + '.vectors.json')
    dest.write_text(json.dumps(out, separators=(',', ':')) + '\n')
    print(f"{dest.name}: {out['messageCount']} messages, {out['signalCount']} signals, {len(out['decode'])} decode, {len(out['encode'])} encode, {len(out['encodeErrors'])} range-error vectors")


generate('gm_global_a_high_voltage_management.dbc', 'commaai/opendbc 7343a66d (MIT)', 20)
generate('tesla_can.dbc', 'commaai/opendbc 7343a66d (MIT)', 3, strict=False)
generate('busbar_safety_rig_bmu.dbc', 'Busbar, written from the safety-rig reference §3 (scripts/gen-rig-dbc.py)', 2)
generate('busbar_float_ext.dbc', 'Busbar, written for the float/extended-id/multiplexing matrix', 40)
