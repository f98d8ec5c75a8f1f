/**
 * Function classes 0 (echo) and 1 (system info).
 *
 * Wire grammar (`params` → `result`; Maccor MacNet reference §2, §6.1, §6.2, §10.2; vendor help p.9-14):
 *
 *   (0,n) echo           {FClass:0,FNum:n,...}            → the same object (vendor: method/params envelope)
 *   (1,1) version info   {FClass:1,FNum:1}                → APIVersion, MacTest32EXEversion{Major,Minor,Build},
 *                                                             MacTest32DLLversion{Major,Minor,Build}, MacTest32ExeDT, MacTest32DLLDT
 *   (1,2) general info   {FClass:1,FNum:2}                → SystemID, SystemType, ControllerBoards, TestChannels,
 *                                                             AuxBoards, AuxChannels, SMB1Pos, SMB3Pos
 *   (1,3) proc exists    {FClass:1,FNum:3,ProcName}       → ProcedurExists "TRUE"|"FALSE" (vendor spelling)
 *   (1,4) name exists    {FClass:1,FNum:4,TestName}       → TestNameExists "TRUE"|"FALSE"
 * Pure.
 */
import { int, num, str, bool } from './fields.js';
import type { MacnetObject } from './fields.js';
import type { MacnetParams } from './envelope.js';

/** (0,n) echo request. `fnum` is any function number (the vendor example uses 0). */
export function encodeEcho(fnum = 0, payload: Readonly<Record<string, unknown>> = {}): MacnetParams {
  return { FClass: 0, FNum: fnum, ...payload };
}

/** (1,1) request. */
export function encodeVersionInfoRequest(): MacnetParams {
  return { FClass: 1, FNum: 1 };
}

/** (1,1) reply: MacTest32 and MacNet API versions (reference §6.1). */
export interface VersionInfo {
  readonly apiVersion: number;
  readonly exeVersion: string;
  readonly dllVersion: string;
  /** The vendor says EXE and DLL versions must be identical; false is worth an alert. */
  readonly versionsMatch: boolean;
  /** Build timestamps, ISO 8601 without zone, as the tester sent them. */
  readonly exeBuildTime: string;
  readonly dllBuildTime: string;
}

/**
 * Decodes (1,1). Accepts pymacnet/MaccorSpoofer's misspelled `MacTest32DLLversionMsinor` when the
 * tester key `MacTest32DLLversionMinor` is absent (reference §6.1).
 * @throws MaccorError BB_MACCOR_REPLY_MALFORMED
 */
export function decodeVersionInfo(r: MacnetObject): VersionInfo {
  const w = '(1,1) version info';
  const exe = `${int(r, 'MacTest32EXEversionMajor', w)}.${int(r, 'MacTest32EXEversionMinor', w)}.${int(r, 'MacTest32EXEversionBuild', w)}`;
  const dllMinorKey = r['MacTest32DLLversionMinor'] === undefined && r['MacTest32DLLversionMsinor'] !== undefined ? 'MacTest32DLLversionMsinor' : 'MacTest32DLLversionMinor';
  const dll = `${int(r, 'MacTest32DLLversionMajor', w)}.${int(r, dllMinorKey, w)}.${int(r, 'MacTest32DLLversionBuild', w)}`;
  return {
    apiVersion: int(r, 'APIVersion', w),
    exeVersion: exe,
    dllVersion: dll,
    versionsMatch: exe === dll,
    exeBuildTime: str(r, 'MacTest32ExeDT', w),
    dllBuildTime: str(r, 'MacTest32DLLDT', w),
  };
}

/** (1,2) request. */
export function encodeGeneralInfoRequest(): MacnetParams {
  return { FClass: 1, FNum: 2 };
}

/** (1,2) reply (reference §6.2). */
export interface GeneralInfo {
  readonly systemId: string;
  /** 0 lab system (the only type with direct mode), 1 500 ms, 3 50 ms, 4/5 8500 generations. */
  readonly systemType: number;
  readonly controllerBoards: number;
  /** Number of test channels; valid channels are 1..testChannels. */
  readonly testChannels: number;
  readonly auxBoards: number;
  readonly auxChannels: number;
  readonly smb1Pos: number;
  readonly smb3Pos: number;
}

/** Decodes (1,2). @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeGeneralInfo(r: MacnetObject): GeneralInfo {
  const w = '(1,2) general info';
  return {
    systemId: str(r, 'SystemID', w),
    systemType: int(r, 'SystemType', w),
    controllerBoards: int(r, 'ControllerBoards', w),
    testChannels: int(r, 'TestChannels', w),
    auxBoards: int(r, 'AuxBoards', w),
    auxChannels: int(r, 'AuxChannels', w),
    smb1Pos: r['SMB1Pos'] === undefined ? 0 : num(r, 'SMB1Pos', w),
    smb3Pos: r['SMB3Pos'] === undefined ? 0 : num(r, 'SMB3Pos', w),
  };
}

/** (1,3) request: does procedure `procName` (without `.000`) exist? */
export function encodeProcedureExistsRequest(procName: string): MacnetParams {
  return { FClass: 1, FNum: 3, ProcName: procName };
}

/** Decodes (1,3) `ProcedurExists` (vendor spelling). @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeProcedureExists(r: MacnetObject): boolean {
  return bool(r, 'ProcedurExists', '(1,3) procedure exists');
}

/** (1,4) request: does test (data file) name `testName` exist in the archive? */
export function encodeTestNameExistsRequest(testName: string): MacnetParams {
  return { FClass: 1, FNum: 4, TestName: testName };
}

/** Decodes (1,4) `TestNameExists`. @throws MaccorError BB_MACCOR_REPLY_MALFORMED */
export function decodeTestNameExists(r: MacnetObject): boolean {
  return bool(r, 'TestNameExists', '(1,4) test name exists');
}
