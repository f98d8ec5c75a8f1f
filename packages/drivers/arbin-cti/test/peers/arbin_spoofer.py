"""Start pycti's ArbinSpoofer (pycti-arbin 0.0.13) on 127.0.0.1 on a free port and print "READY <port>".

Usage: python arbin_spoofer.py <num_channels> <lifetime_s>
Seeds channel index 0 (physical channel 1) with status 2 (Charge), 3.7 V, 1.5 A so that the client
test can check decoding. Exits after <lifetime_s> seconds or when stdin closes (the test ended).
Follows the recipe of the Arbin CTI reference, "How to run the peer spoofer as a test oracle".
"""
import socket
import sys
import threading
import time

from pyctiarbin.arbinspoofer import ArbinSpoofer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    channels, lifetime_s = int(sys.argv[1]), float(sys.argv[2])
    port = free_port()
    spoofer = ArbinSpoofer({"ip": "127.0.0.1", "port": port, "num_channels": channels})
    spoofer.start()  # returns before the port is bound
    spoofer.update_channel_status(0, {"status": 2, "voltage_v": 3.7, "current_a": 1.5})
    deadline = time.monotonic() + 5
    while True:  # readiness probe: a bind error would otherwise be silent
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("ArbinSpoofer did not start listening")
            time.sleep(0.05)
    print("READY", port, flush=True)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait(lifetime_s)
    spoofer.stop()


if __name__ == "__main__":
    main()
