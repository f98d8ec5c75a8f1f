"""pymodbus 3.16 TCP server for Busbar's Modbus interop test (test/modbus-pymodbus.int.test.ts).

Protocol with the test (one JSON document per line):

1. stdin, first line: the load
   {"holding": [case...], "input": [case...], "coils": [bool...], "discrete": [bool...]}
   where case = {"address": int, "dataType": "int16|uint16|int32|uint32|float32|float64",
                 "byteOrder": "big|little", "wordOrder": "big|little", "value": number}
   or {"address": int, "registers": [int...]} for raw registers.
   Values are encoded here with pymodbus's own helper
   (ModbusClientMixin.convert_to_registers, word_order=...); byteOrder "little" swaps the two
   bytes of every register pymodbus produced. Busbar's encoder is not involved.
2. stdout, first line: {"port": <bound port>} once the server listens on 127.0.0.1 (port 0 = ephemeral).
3. stdin, later lines: {"cmd": "decode", "address": a, "dataType": ..., "byteOrder": ..., "wordOrder": ...}
   -> stdout {"registers": [...], "value": v}: the holding registers last written at a..
   (as received by the server in FC 06/16 requests) decoded with
   ModbusClientMixin.convert_from_registers; {"cmd": "coil", "address": a} -> {"value": bool}.
4. stdin EOF: shut down and exit.
"""

from __future__ import annotations

import asyncio
import json
import sys

from pymodbus.client.mixin import ModbusClientMixin
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

DT = ModbusClientMixin.DATATYPE
TYPES = {
    "int16": DT.INT16,
    "uint16": DT.UINT16,
    "int32": DT.INT32,
    "uint32": DT.UINT32,
    "float32": DT.FLOAT32,
    "float64": DT.FLOAT64,
}
WIDTH = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2, "float64": 4}
TABLE_SIZE = 256


def swap_bytes(regs: list[int]) -> list[int]:
    return [((r & 0xFF) << 8) | (r >> 8) for r in regs]


def encode(case: dict) -> list[int]:
    if "registers" in case:
        return list(case["registers"])
    regs = ModbusClientMixin.convert_to_registers(
        case["value"], TYPES[case["dataType"]], word_order=case["wordOrder"]
    )
    return swap_bytes(regs) if case["byteOrder"] == "little" else regs


def build_table(cases: list[dict]) -> list[int]:
    regs = [0] * TABLE_SIZE
    for case in cases:
        data = encode(case)
        regs[case["address"] : case["address"] + len(data)] = data
    return regs


async def main() -> None:
    load = json.loads(sys.stdin.readline())
    holding = build_table(load.get("holding", []))
    inputs = build_table(load.get("input", []))
    coils = [bool(b) for b in load.get("coils", [])] + [False] * (TABLE_SIZE - len(load.get("coils", [])))
    discrete = [bool(b) for b in load.get("discrete", [])] + [False] * (TABLE_SIZE - len(load.get("discrete", [])))

    written_registers: dict[int, int] = {}
    written_coils: dict[int, bool] = {}

    async def action(function_code, start_address, address, count, current_registers, set_values):
        """Record what write requests carried, as the server received them."""
        if function_code in (6, 16) and set_values is not None:
            for i, v in enumerate(set_values):
                written_registers[address + i] = int(v)
        if function_code in (5, 15) and set_values is not None:
            for i, v in enumerate(set_values):
                written_coils[address + i] = bool(v)
        return None

    device = SimDevice(
        id=0,
        simdata=(
            [SimData(address=0, values=coils, datatype=DataType.BITS)],
            [SimData(address=0, values=discrete, datatype=DataType.BITS)],
            [SimData(address=0, values=holding, datatype=DataType.REGISTERS)],
            [SimData(address=0, values=inputs, datatype=DataType.REGISTERS)],
        ),
        action=action,
    )
    server = ModbusTcpServer(device, address=("127.0.0.1", 0))
    await server.serve_forever(background=True)
    port = server.transport.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)

    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "decode":
            width = WIDTH[cmd["dataType"]]
            regs = [written_registers.get(cmd["address"] + i) for i in range(width)]
            if any(r is None for r in regs):
                print(json.dumps({"error": f"registers {cmd['address']}+{width} not all written", "registers": regs}), flush=True)
                continue
            plain = swap_bytes(regs) if cmd["byteOrder"] == "little" else regs
            value = ModbusClientMixin.convert_from_registers(plain, TYPES[cmd["dataType"]], word_order=cmd["wordOrder"])
            print(json.dumps({"registers": regs, "value": value}), flush=True)
        elif cmd["cmd"] == "coil":
            print(json.dumps({"value": written_coils.get(cmd["address"])}), flush=True)
        else:
            print(json.dumps({"error": f"unknown command {cmd['cmd']}"}), flush=True)
    await server.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
