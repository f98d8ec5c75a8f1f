"""Starts pymacnet's MaccorSpoofer on 127.0.0.1 on free ports for Busbar's interop tests.

Usage: python maccor_spoofer.py <num_channels>
Prints "READY <json_port> <binary_port> <num_channels>" once both listeners accept connections.
Then reads one JSON line per update from stdin: {"chan": <0-based>, "set": {<(4,7) keys>}}, answers
OK or REJECTED, and exits when stdin closes. See the Maccor MacNet reference §13-§14.
"""
import json
import socket
import sys
import time

from pymacnet.maccorspoofer import MaccorSpoofer


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int) -> None:
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"port {port} never accepted a connection")


def main() -> None:
    channels = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    json_port, bin_port = free_port(), free_port()
    spoofer = MaccorSpoofer({"server_ip": "127.0.0.1", "json_port": json_port, "tcp_port": bin_port, "num_channels": channels})
    spoofer.start()
    wait_listening(json_port)
    wait_listening(bin_port)
    print("READY", json_port, bin_port, channels, flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            ok = 0 <= cmd["chan"] < channels and spoofer.update_channel_status(cmd["chan"], cmd["set"])
        except (ValueError, KeyError, TypeError):
            ok = False
        print("OK" if ok else "REJECTED", flush=True)
    spoofer.stop()


if __name__ == "__main__":
    main()
