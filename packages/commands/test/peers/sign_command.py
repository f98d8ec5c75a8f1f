"""Signs and verifies Busbar commands with Python's `cryptography`, written from docs/commands.md
"Canonical form" only (not from the TypeScript): the interop proof of the canonical form.

Reads one JSON request on stdin, writes one JSON answer on stdout.

  {"op": "sign", "command": {...}, "key": {"algorithm": "ed25519" | "hmac-sha256", ...}}
      ed25519: "private_pem" (optional; a new key is generated when absent); hmac-sha256: "secret" (text)
      -> {"canonical_hex", "signature_hex", "key": {"public_pem" | "secret", "private_pem"?}}
  {"op": "verify", "command": {...}, "signature_hex", "key": {"algorithm", "public_pem" | "secret"}}
      -> {"canonical_hex", "ok": true|false}

A command is JSON: command_id, issuer, key_id, issued_at_ms, expires_at_ms, device_id, channel (int
or null), action, parameters (name -> null | bool | number | text), dry_run.
"""
import hashlib
import hmac
import json
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

DOMAIN_TAG = b"busbar.command.v1\n"


def text(s):
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def value(v):
    if v is None:
        return b"\x00"
    if isinstance(v, bool):
        return b"\x01" + (b"\x01" if v else b"\x00")
    if isinstance(v, (int, float)):
        return b"\x02" + struct.pack(">d", float(v) + 0.0)  # every number as binary64; -0.0 + 0.0 is +0.0
    return b"\x03" + text(v)


def canonical(c):
    out = bytearray(DOMAIN_TAG)
    out += text(c["command_id"])
    out += text(c["issuer"])
    out += text(c.get("key_id") or "")
    out += struct.pack(">q", c["issued_at_ms"])
    out += struct.pack(">q", c["expires_at_ms"])
    out += text(c["device_id"])
    ch = c.get("channel")
    out += b"\x00" if ch is None else b"\x01" + struct.pack(">i", ch)
    out += text(c["action"])
    params = c.get("parameters") or {}
    names = sorted(params, key=lambda n: n.encode("utf-8"))
    out += struct.pack(">I", len(names))
    for n in names:
        out += text(n) + value(params[n])
    out += b"\x01" if c.get("dry_run") else b"\x00"
    return bytes(out)


def main():
    req = json.load(sys.stdin)
    data = canonical(req["command"])
    key = req["key"]
    if req["op"] == "sign":
        if key["algorithm"] == "ed25519":
            if key.get("private_pem"):
                priv = serialization.load_pem_private_key(key["private_pem"].encode(), password=None)
            else:
                priv = Ed25519PrivateKey.generate()
            sig = priv.sign(data)
            pub = priv.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            prv = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
            answer_key = {"public_pem": pub, "private_pem": prv}
        else:
            sig = hmac.new(key["secret"].encode(), data, hashlib.sha256).digest()
            answer_key = {"secret": key["secret"]}
        json.dump({"canonical_hex": data.hex(), "signature_hex": sig.hex(), "key": answer_key}, sys.stdout)
    else:
        sig = bytes.fromhex(req["signature_hex"])
        if key["algorithm"] == "ed25519":
            pub = serialization.load_pem_public_key(key["public_pem"].encode())
            try:
                pub.verify(sig, data)
                ok = True
            except InvalidSignature:
                ok = False
        else:
            ok = hmac.compare_digest(hmac.new(key["secret"].encode(), data, hashlib.sha256).digest(), sig)
        json.dump({"canonical_hex": data.hex(), "ok": ok}, sys.stdout)


if __name__ == "__main__":
    main()
