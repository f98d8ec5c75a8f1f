"""Writes test/vectors/busbar_safety_rig_bmu.dbc: a DBC of our own for the safety rig's BMS.

Written from the signal table of the safety-rig reference (§3.1 bus facts, §3.2 messages, §3.3 signals);
the rig's own DBC has no licence and is not copied. Node id n = 1..15; PDO COB-IDs 0x180/0x280/0x380/0x480
(+ n) and 0x190/0x290/0x390/0x490 (+ n); SDO response 0x580 + n, request 0x600 + n; SYNC 0x080 (cycle 100 ms);
Sendyne insulation monitor on extended ids 0x0A100101 / 0x0A100100 (big-endian values).

Run: python scripts/gen-rig-dbc.py (no dependencies).
"""
from pathlib import Path

EXT = 0x80000000
lines = [
    'VERSION "busbar-safety-rig-bmu 1"',
    '',
    'NS_ :',
    '    CM_',
    '    BA_DEF_',
    '    BA_',
    '    VAL_',
    '    BA_DEF_DEF_',
    '    SIG_VALTYPE_',
    '',
    'BS_:',
    '',
    'BU_: Module Tester BMS_Diags',
    '',
]
cell = '(0.01,2.2) [2.2|4.75] "V"'
soc = '(0.5,0) [0|127.5] "%"'
temp = '(1,0) [-128|127] "degC"'


def bo(can_id: int, name: str, dlc: int, sender: str, sigs: list[str]) -> None:
    lines.append(f'BO_ {can_id} {name}: {dlc} {sender}')
    lines.extend(f' SG_ {s} Tester' for s in sigs)
    lines.append('')


bo(0x080, 'SYNC', 1, 'Tester', ['Sync_Count : 0|8@1+ (1,0) [0|255] ""'])
for n in range(1, 16):
    b = f'BMU{n:02d}'
    bo(0x180 + n, f'{b}_pdo1', 8, 'Module', [
        'CMA_Current : 0|16@1- (0.1,0) [-3276.8|3276.7] "A"',
        'CMA_Voltage : 16|16@1+ (0.01,0) [0|655.35] "V"',
        f'Min_Cell_Voltage : 32|8@1+ {cell}',
        f'Max_Cell_Voltage : 40|8@1+ {cell}',
        f'CMA_Min_Temp : 48|8@1- {temp}',
        f'CMA_Max_Temp : 56|8@1- {temp}',
    ])
    bo(0x280 + n, f'{b}_pdo2', 8, 'Module', [
        'CMA_Status : 0|16@1+ (1,0) [0|65535] ""',
        f'SOC : 16|8@1+ {soc}',
        'SOH : 24|8@1+ (1,0) [0|255] "%"',
        'CellBalancingStatus : 32|16@1+ (1,0) [0|65535] ""',
    ])
    bo(0x380 + n, f'{b}_pdo3', 8, 'Module', [f'Cell_{i + 1}_Voltage : {8 * i}|8@1+ {cell}' for i in range(8)])
    bo(0x480 + n, f'{b}_pdo4', 8, 'Module', [f'Cell_{i + 9}_Voltage : {8 * i}|8@1+ {cell}' for i in range(6)])
    bo(0x190 + n, f'{b}_pdo5', 8, 'Module', [
        'Charge_Ah_from_BMU : 0|32@1+ (1,0) [0|4294967295] ""',
        'Discharge_Ah_from_BMU : 32|32@1+ (1,0) [0|4294967295] ""',
    ])
    bo(0x290 + n, f'{b}_pdo6', 8, 'Module', [f'CMA_Temp{i + 1} : {8 * i}|8@1- {temp}' for i in range(7)])
    bo(0x390 + n, f'{b}_pdo7', 8, 'Module', [f'Cell{i + 1:02d}_SOC : {8 * i}|8@1+ {soc}' for i in range(8)])
    bo(0x490 + n, f'{b}_pdo8', 8, 'Module', [f'Cell{i + 9:02d}_SOC : {8 * i}|8@1+ {soc}' for i in range(6)])
    sdo = [
        'SDO_size_indicate : 0|1@1+ (1,0) [0|1] ""',
        'SDO_Expidited : 1|1@1+ (1,0) [0|1] ""',
        'SDO_unused_bytes : 2|2@1+ (1,0) [0|3] ""',
        'SDO_toggle : 4|1@1+ (1,0) [0|1] ""',
        'SDO_CMD : 5|3@1+ (1,0) [0|7] ""',
        'SDO_Index : 8|16@1+ (1,0) [0|65535] ""',
        'SDO_SubIndex : 24|8@1+ (1,0) [0|255] ""',
        'SDO_Data : 32|32@1+ (1,0) [0|4294967295] ""',
    ]
    bo(0x580 + n, f'{b}_SDO_Resp', 8, 'Module', sdo)
    bo(0x600 + n, f'{b}_SDO_Req', 8, 'BMS_Diags', sdo)
bo(0x09C, 'EMERGENCY', 0, 'Module', [])
bo(EXT | 0x0A100101, 'SendyneReq', 1, 'Tester', ['Sendyne_OpCode_Req : 0|8@1+ (1,0) [0|255] ""'])
bo(EXT | 0x0A100100, 'SendyneResp', 8, 'Module', [
    'Sendyne_OpCode : 0|8@1+ (1,0) [0|255] ""',
    'Sendyne_StatusByte : 8|8@1+ (1,0) [0|255] ""',
    'Sendyne_Data_V1 : 23|16@0+ (1,0) [0|65535] ""',
    'Sendyne_Uncertainty1 : 32|8@1+ (1,0) [0|255] "%"',
    'Sendyne_Data_V2 : 47|16@0+ (1,0) [0|65535] ""',
    'Sendyne_Uncertainty2 : 56|8@1+ (1,0) [0|255] "%"',
])
lines += [
    'CM_ "Busbar test DBC for the safety rig BMS, written from the safety-rig reference section 3; not the rig\'s own file.";',
    'CM_ BO_ 128 "CANopen SYNC; the original client sends 0xFF.";',
    'CM_ SG_ 385 CMA_Voltage "Module voltage of BMU 1.";',
    'BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;',
    'BA_DEF_ "Baudrate" INT 0 1000000;',
    'BA_DEF_DEF_ "GenMsgCycleTime" 0;',
    'BA_DEF_DEF_ "Baudrate" 500000;',
    'BA_ "GenMsgCycleTime" BO_ 128 100;',
    f'VAL_ {EXT | 0x0A100100} Sendyne_OpCode 224 "isolation state" 225 "isolation resistance" 226 "isolation capacitance" 227 "pole voltages" 228 "battery voltage" 229 "error flags" ;',
    '',
]
out = Path(__file__).resolve().parent.parent / 'test' / 'vectors' / 'busbar_safety_rig_bmu.dbc'
out.write_text('\n'.join(lines))
print(f'wrote {out}')
