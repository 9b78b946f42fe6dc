# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Listening ports and their processes, from /proc: a real listener of this test, and a fake /proc for the rest."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import socket

from ansible_collections.opennebula.flower.plugins.module_utils._listeners import foreign, listeners

HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'


def socket_line(port, state, inode):
    return '   0: 0100007F:%04X 00000000:0000 %s 00000000:00000000 00:00000000 00000000   999        0 %s 1\n' % (
        port, state, inode)


def fake_proc(tmp_path, tcp, tcp6, processes):
    """processes: {pid: (command line, [socket inodes])}. A socket no process lists is one whose holder this user
    cannot inspect (its fd folder is unreadable without root)."""
    (tmp_path / 'net').mkdir()
    (tmp_path / 'net' / 'tcp').write_text(HEADER + ''.join(tcp))
    (tmp_path / 'net' / 'tcp6').write_text(HEADER + ''.join(tcp6))
    for pid, (command, inodes) in processes.items():
        folder = tmp_path / str(pid)
        (folder / 'fd').mkdir(parents=True)
        (folder / 'cmdline').write_bytes(b'\0'.join(part.encode() for part in command.split()) + b'\0')
        for fd, inode in enumerate(inodes):
            os.symlink('socket:[%s]' % inode, str(folder / 'fd' / str(fd + 3)))
    return str(tmp_path)


def test_a_real_listener_of_this_process_is_found_with_its_command_line():
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(1)
    try:
        port = server.getsockname()[1]
        found = listeners([port, 1])
    finally:
        server.close()
    assert [(item['port'], item['pid']) for item in found] == [(port, os.getpid())]
    assert 'pytest' in found[0]['command'] or 'python' in found[0]['command']


def test_only_listening_sockets_on_the_ports_asked_count_ipv4_and_ipv6(tmp_path):
    proc = fake_proc(tmp_path,
                     [socket_line(19092, '0A', '11'), socket_line(19093, '01', '12'), socket_line(8080, '0A', '13')],
                     [socket_line(19101, '0A', '14')],
                     {100: ('/srv/fed/venv/bin/python3 /srv/fed/venv/bin/flower-superlink', ['11']),
                      200: ('python3 -m http.server 19101', ['14', '13'])})
    found = listeners([19092, 19093, 19101], proc=proc)
    assert [(item['port'], item['pid']) for item in found] == [(19092, 100), (19101, 200)]


def test_foreign_names_the_port_and_process_and_never_trusts_an_unreadable_one(tmp_path):
    proc = fake_proc(tmp_path,
                     [socket_line(19092, '0A', '11'), socket_line(19093, '0A', '12'), socket_line(19094, '0A', '15')],
                     [],
                     {100: ('/srv/fed/venv/bin/flower-superlink', ['11']),
                      200: ('/srv/fed-other/venv/bin/flower-superlink', ['12'])})
    found = listeners([19092, 19093, 19094], proc=proc)
    others = foreign(found, '/srv/fed')
    assert [item['description'] for item in others] == [
        'port 19093 is held by process 200 (/srv/fed-other/venv/bin/flower-superlink)',
        'port 19094 is held by a process this user cannot inspect']
    assert [item['port'] for item in foreign(found, None)] == [19092, 19093, 19094]
