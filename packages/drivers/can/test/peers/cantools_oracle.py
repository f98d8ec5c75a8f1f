"""cantools as a live oracle for the CAN codec tests.

Reads one JSON request from stdin: {"dbc": path, "strict": bool, "decode": [{"message", "data"}],
"encode": [{"message", "values"}]} and writes one JSON answer: for each decode request the values
cantools decodes (or {"error": text}); for each encode request the hex bytes cantools encodes (or
{"error": text}). Dangling VAL_ lines that cantools 45.1.0 refuses (tesla_can.dbc) are dropped in memory.
"""
import json
import math
import re
import sys

import cantools

req = json.load(sys.stdin)
text = open(req['dbc'], encoding='utf-8', errors='replace').read()
for _ in range(20):
    try:
        db = cantools.database.load_string(text, strict=req['strict'])
        break
    except Exception as e:
        found = re.findall(r'VAL_ (\d+) (\w+)', str(e))
        if not found:
            raise
        for fid, sig in found:
            text = re.sub(rf'^VAL_ {fid} {sig} .*$', '', text, flags=re.M)


def clean(values):
    return {k: (None if isinstance(v, float) and (math.isnan(v) or math.isinf(v)) else v) for k, v in values.items()}


out = {'decode': [], 'encode': []}
for d in req['decode']:
    m = db.get_message_by_name(d['message'])
    try:
        out['decode'].append({'values': clean(m.decode(bytes.fromhex(d['data']), decode_choices=False, scaling=True))})
    except Exception as e:
        out['decode'].append({'error': str(e)})
for e in req['encode']:
    m = db.get_message_by_name(e['message'])
    try:
        out['encode'].append({'data': m.encode(e['values'], scaling=True, strict=True).hex()})
    except Exception as ex:
        out['encode'].append({'error': str(ex)})
json.dump(out, sys.stdout)
