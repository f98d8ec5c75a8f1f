import { describe, expect, it } from 'vitest';
import { encodeAssignScheduleRequest, encodeStartScheduleRequest } from '../../src/index.js';
import { CTI_TOKEN_VALUE, CtiFrameDecoder, parseFrame, type CtiDirection } from '../../src/codec/frame.js';
import { decodeAssignScheduleRequest, decodeStartScheduleRequest, decodeStopScheduleRequest, encodeStopScheduleRequest } from '../../src/codec/schedule.js';
import { decodeChannelInfoFeedback, decodeChannelInfoRequest, encodeChannelInfoFeedback, encodeChannelInfoRequest } from '../../src/codec/channel-info.js';
import { decodeLoginFeedback, decodeLoginRequest, encodeLoginFeedback, encodeLoginRequest } from '../../src/codec/login.js';
import { decodeSetMetaVariableRequest, encodeSetMetaVariableRequest } from '../../src/codec/meta-variable.js';
import { decodeStandardFeedback, encodeStandardFeedback } from '../../src/codec/feedback.js';
import { vectorBytes, vectorJson } from '../helpers/vectors.js';

const RESULT_WORDS: Record<string, number> = { success: 0 };
const ALL = [
  'client_login_msg', 'server_login_msg', 'client_channel_info_msg', 'server_channel_info_msg', 'client_assign_schedule_msg', 'server_assign_schedule_msg',
  'client_start_schedule_msg', 'server_start_schedule_msg', 'client_stop_schedule_msg', 'server_stop_schedule_msg', 'client_set_meta_variable_msg', 'server_set_meta_variable_msg',
];
const dir = (name: string): CtiDirection => (name.startsWith('client_') ? 'request' : 'feedback');

describe('Codec > vectors (pycti tests/example_messages)', () => {
  it.each(ALL)('%s: header fields match the JSON (64-bit token as bigint)', (name) => {
    const bytes = vectorBytes(name);
    const json = vectorJson(name);
    const frame = parseFrame(bytes, dir(name));
    expect(json.header).toBe(CTI_TOKEN_VALUE);
    expect(bytes.readBigUInt64LE(0)).toBe(CTI_TOKEN_VALUE);
    expect(frame.length).toBe(json.msg_length);
    expect(frame.commandCode).toBe(json.command_code);
    expect(frame.extendedCode).toBe(json.extended_command_code);
    expect(frame.checksumOk).toBe(true);
  });

  it.each(ALL)('%s: streamed byte by byte and at every split point yields exactly the frame', (name) => {
    const bytes = vectorBytes(name);
    const one = new CtiFrameDecoder({ direction: dir(name) });
    const byByte = [...bytes].flatMap((b) => one.push(Uint8Array.of(b)));
    expect(byByte.map((f) => f.bytes)).toEqual([bytes]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new CtiFrameDecoder({ direction: dir(name) });
      const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      expect(out.length, `cut ${cut}`).toBe(1);
      expect(out[0]?.bytes.equals(bytes)).toBe(true);
    }
  });

  it('client_login_msg: encodes byte-exactly and decodes', () => {
    const json = vectorJson('client_login_msg');
    const req = { username: json.username as string, password: json.password as string };
    expect(encodeLoginRequest(req)).toEqual(vectorBytes('client_login_msg'));
    expect(decodeLoginRequest(parseFrame(vectorBytes('client_login_msg'), 'request'))).toEqual(req);
  });

  it('server_login_msg: decodes to the JSON; IP as raw bytes; re-encodes byte-exactly', () => {
    const json = vectorJson('server_login_msg');
    const fb = decodeLoginFeedback(parseFrame(vectorBytes('server_login_msg'), 'feedback'));
    expect(fb.result).toBe(1);
    expect(json.result).toBe('success');
    expect([...fb.ip_address]).toEqual([0x03, 0x03, 0x1f, 0x51]);
    for (const k of ['cycler_sn', 'note', 'nick_name', 'location', 'emergency_contact', 'other_comments', 'email', 'call', 'itac', 'version', 'allow_control', 'num_channels', 'user_type', 'picture_length'] as const) {
      expect(fb[k], k).toEqual(json[k]);
    }
    expect(encodeLoginFeedback(fb)).toEqual(vectorBytes('server_login_msg'));
  });

  it('client_channel_info_msg: encodes byte-exactly and decodes (channel 13 = index 13 on the wire)', () => {
    const json = vectorJson('client_channel_info_msg');
    const req = { channel_index0: json.channel as number, channel_selection: json.channel_selection as number, aux_options: json.aux_options as number };
    expect(encodeChannelInfoRequest(req)).toEqual(vectorBytes('client_channel_info_msg'));
    expect(decodeChannelInfoRequest(parseFrame(vectorBytes('client_channel_info_msg'), 'request'))).toEqual(req);
  });

  it('server_channel_info_msg: decodes to the JSON and re-encodes byte-exactly', () => {
    const json = vectorJson('server_channel_info_msg');
    const fb = decodeChannelInfoFeedback(parseFrame(vectorBytes('server_channel_info_msg'), 'feedback'));
    expect(fb.number_of_channels).toBe(json.number_of_channels);
    expect(fb.records).toHaveLength(1);
    const r = fb.records[0]!;
    expect(r.channel_index0).toBe(json.channel);
    expect(r.status_name).toBe(json.status);
    for (const k of [
      'comm_failure', 'schedule', 'testname', 'exit_condition', 'step_and_cycle_format', 'barcode', 'can_config_name', 'smb_config_name', 'master_channel', 'test_time_s', 'step_time_s',
      'voltage_v', 'current_a', 'power_w', 'charge_capacity_ah', 'discharge_capacity_ah', 'charge_energy_wh', 'discharge_energy_wh', 'internal_resistance_ohm', 'dvdt_vbys', 'acr_ohm',
      'aci_ohm', 'aci_phase_degrees', 'bms_count', 'smb_count',
    ] as const) {
      expect(r[k], k).toEqual(json[k]);
    }
    for (const [t, values] of Object.entries(r.aux)) {
      expect(values.length).toBe(json[`aux_${t}_count`]);
      expect(values.map((v) => v.value)).toEqual(json[`aux_${t}`]);
      expect(values.map((v) => v.dt)).toEqual(json[`aux_${t}_dt`]);
    }
    expect(encodeChannelInfoFeedback(fb.records)).toEqual(vectorBytes('server_channel_info_msg'));
  });

  it('client_assign_schedule_msg: encodes byte-exactly and decodes', () => {
    const json = vectorJson('client_assign_schedule_msg');
    const uv = Array.from({ length: 16 }, (_, k) => json[`user_variable_${k + 1}`] as number);
    const req = { channel_index0: json.channel as number, schedule: json.schedule as string, test_capacity_ah: json.test_capacity_ah as number, barcode: json.barcode as string, user_variables: uv };
    expect(encodeAssignScheduleRequest(req)).toEqual(vectorBytes('client_assign_schedule_msg'));
    expect(decodeAssignScheduleRequest(parseFrame(vectorBytes('client_assign_schedule_msg'), 'request'))).toEqual({ ...req, assign_all_channels: false });
  });

  it('client_start_schedule_msg: encodes byte-exactly and decodes', () => {
    const json = vectorJson('client_start_schedule_msg');
    expect(json.num_channels_to_start).toBe(1);
    const req = { test_name: json.test_name as string, channel_indexes0: [json.channel as number] };
    expect(encodeStartScheduleRequest(req)).toEqual(vectorBytes('client_start_schedule_msg'));
    expect(decodeStartScheduleRequest(parseFrame(vectorBytes('client_start_schedule_msg'), 'request'))).toEqual(req);
  });

  it('client_stop_schedule_msg: encodes byte-exactly and decodes', () => {
    const json = vectorJson('client_stop_schedule_msg');
    expect(encodeStopScheduleRequest({ channel_index0: json.channel as number })).toEqual(vectorBytes('client_stop_schedule_msg'));
    expect(decodeStopScheduleRequest(parseFrame(vectorBytes('client_stop_schedule_msg'), 'request'))).toEqual({ channel_index0: 13, all_channels: false });
  });

  it('client_set_meta_variable_msg: encodes byte-exactly and decodes', () => {
    const json = vectorJson('client_set_meta_variable_msg');
    const req = { channel_index0: json.channel as number, mv_type: json.mv_type as number, mv_meta_code: json.mv_meta_code as number, mv_value_type: json.mv_value_type as number, mv_data: json.mv_data as number };
    expect(encodeSetMetaVariableRequest(req)).toEqual(vectorBytes('client_set_meta_variable_msg'));
    expect(decodeSetMetaVariableRequest(parseFrame(vectorBytes('client_set_meta_variable_msg'), 'request'))).toEqual(req);
  });

  it.each([
    ['server_assign_schedule_msg', 0xbb120001],
    ['server_start_schedule_msg', 0xbb230004],
    ['server_stop_schedule_msg', 0xbb130001],
    ['server_set_meta_variable_msg', 0xbb510001],
  ] as const)('%s: decodes to the JSON and re-encodes byte-exactly', (name, code) => {
    const json = vectorJson(name);
    const fb = decodeStandardFeedback(parseFrame(vectorBytes(name), 'feedback'), code);
    expect(fb).toEqual({ channel_index0: json.channel, result: RESULT_WORDS[json.result as string] });
    expect(encodeStandardFeedback(code, fb)).toEqual(vectorBytes(name));
  });
});
