"""Drives pymacnet 1.1.3's ChannelInterface (the public Python MacNet client) against a MacNet listener.

Usage: python pymacnet_client.py <host> <json_port> <binary_port> <channel 1-based> <reads>
Runs: (1,2) general info (in the constructor), <reads> x (4,7) read_channel_status, then start_test_with_direct_control and, 150 ms later (the tester's
"not ready" window, Maccor MacNet reference §8.6), set_direct_mode_output(0.5 A, 4.2 V) over JSON.
Prints one JSON line with what pymacnet returned: counts of good and failed reads and the booleans
of the two commands. pymacnet returns None/False instead of raising (reference §11). Its (4,1)
read_all_channel_statuses is left out: it sends `"Chan": -1` (reference §6.3, a pymacnet bug).
"""
import json
import logging
import sys
import time

from pymacnet import ChannelInterface


def main() -> None:
    host, json_port, bin_port, channel, reads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    logging.basicConfig(level=logging.CRITICAL)
    config = {
        'server_ip': host, 'json_msg_port': json_port, 'bin_msg_port': bin_port, 'msg_buffer_size_bytes': 1024,
        'channel': channel, 'test_name': '', 'test_procedure': 'proc_a', 'c_rate_ah': 2.5,
        'v_max_safety_limit_v': 4.25, 'v_min_safety_limit_v': 2.5, 'i_max_safety_limit_a': 3.0, 'i_min_safety_limit_a': 3.0,
        'power_safety_limit_chg_w': 25.0, 'power_safety_limit_dsg_w': 25.0, 'v_max_v': 4.2, 'v_min_v': 2.7,
        'data_record_time_s': 1, 'data_record_voltage_delta_vbys': 0, 'data_record_current_delta_abys': 0,
    }
    ci = ChannelInterface(config)
    good = 0
    bad = 0
    for _ in range(reads):
        status = ci.read_channel_status()
        if isinstance(status, dict) and status.get('Chan') == channel and 'Voltage' in status:
            good += 1
        else:
            bad += 1
    started = ci.start_test_with_direct_control()
    time.sleep(0.15)
    output = ci.set_direct_mode_output(0.5, 4.2)
    print(json.dumps({
        'numChannels': ci.get_num_channels(), 'goodReads': good, 'failedReads': bad,
        'started': started, 'setOutput': output,
    }), flush=True)


if __name__ == '__main__':
    main()
