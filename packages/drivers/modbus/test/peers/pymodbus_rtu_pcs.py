"""pymodbus 3.16 Modbus RTU server on a serial line (a pty end) serving the rig's PCS register map,
for Busbar's PCS interop test (test/client/pcs-rtu.int.test.ts).

Protocol with the test (one JSON document per line):

1. stdin, first line: the load
   {"port": "/path/of/pty", "unit": 2, "baudrate": 19200,
    "input": [{"address": int, "value": number, "countsPer": number}...],
    "holding": [{"address": int, "raw": int}...]}
   Input register values are scaled HERE, the way the safety-rig reference §4.2 describes the
   original code: raw = round(value * countsPer), negative values + 65536 (16-bit two's complement).
   Busbar's encoder is not involved.
2. stdout, first line: {"ready": true} once the server task runs (the port may open a little later:
   the test waits for the first answer).
3. stdin, later lines:
   {"cmd": "written", "address": a} -> {"writes": [raw, ...]}: every value FC 06 requests carried to
   register a, in order, as the server received them;
   {"cmd": "frames"} -> {"frames": ["hex", ...]}: the request frames (ADU with CRC) received so far.
4. stdin EOF: shut down and exit.
"""

from __future__ import annotations

import asyncio
import json
import sys

from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice
from pymodbus import FramerType

INPUT_BASE, INPUT_COUNT = 30256, 32
HOLDING_BASE, HOLDING_COUNT = 41024, 24


def to_u16(raw: int) -> int:
    return raw + 65536 if raw < 0 else raw


async def main() -> None:
    load = json.loads(sys.stdin.readline())
    inputs = [0] * INPUT_COUNT
    for item in load.get("input", []):
        inputs[item["address"] - INPUT_BASE] = to_u16(round(item["value"] * item["countsPer"]))
    holding = [0] * HOLDING_COUNT
    for item in load.get("holding", []):
        holding[item["address"] - HOLDING_BASE] = to_u16(item["raw"])

    written: dict[int, list[int]] = {}
    frames: list[str] = []

    async def action(function_code, start_address, address, count, current_registers, set_values):
        if function_code == 6 and set_values is not None:
            for i, v in enumerate(set_values):
                written.setdefault(address + i, []).append(int(v))
        return None

    def trace_packet(sending: bool, data: bytes) -> bytes:
        if not sending:
            frames.append(data.hex())
        return data

    device = SimDevice(
        id=load.get("unit", 2),
        simdata=(
            [SimData(address=0, values=[False], datatype=DataType.BITS)],
            [SimData(address=0, values=[False], datatype=DataType.BITS)],
            [SimData(address=HOLDING_BASE, values=holding, datatype=DataType.REGISTERS)],
            [SimData(address=INPUT_BASE, values=inputs, datatype=DataType.REGISTERS)],
        ),
        action=action,
    )
    server = ModbusSerialServer(
        device,
        framer=FramerType.RTU,
        port=load["port"],
        baudrate=load.get("baudrate", 19200),
        bytesize=8,
        parity="N",
        stopbits=1,
        timeout=0.05,
        trace_packet=trace_packet,
    )
    task = asyncio.create_task(server.serve_forever())
    print(json.dumps({"ready": True}), flush=True)

    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "written":
            print(json.dumps({"writes": written.get(cmd["address"], [])}), flush=True)
        elif cmd["cmd"] == "frames":
            print(json.dumps({"frames": frames}), flush=True)
        else:
            print(json.dumps({"error": f"unknown command {cmd['cmd']}"}), flush=True)
    await server.shutdown()
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
