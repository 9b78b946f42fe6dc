# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which processes listen on which TCP ports of this machine, read from /proc (Linux; no ss or lsof needed).

A listening socket is a line of /proc/net/tcp or tcp6 in state 0A; its inode names it in the file descriptors of
the processes that hold it (/proc/<pid>/fd/* -> socket:[inode]). A process of another user cannot be inspected
without root: its port is still reported, with ``pid`` None.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

LISTEN = '0A'


def listening_inodes(proc='/proc'):
    """{inode: port} of the TCP sockets in LISTEN state, IPv4 and IPv6."""
    inodes = {}
    for table in ('tcp', 'tcp6'):
        try:
            with open(os.path.join(proc, 'net', table)) as handle:
                lines = handle.read().splitlines()[1:]
        except (IOError, OSError):
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == LISTEN:
                inodes[fields[9]] = int(fields[1].rsplit(':', 1)[1], 16)
    return inodes


def _holders(proc, inodes):
    """{inode: pid} of the processes whose descriptors we can read."""
    holders = {}
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        fd_dir = os.path.join(proc, pid, 'fd')
        try:
            fds = os.listdir(fd_dir)
        except (IOError, OSError):
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except (IOError, OSError):
                continue
            if target.startswith('socket:[') and target[8:-1] in inodes:
                holders.setdefault(target[8:-1], int(pid))
    return holders


def command_line(pid, proc='/proc'):
    try:
        with open(os.path.join(proc, str(pid), 'cmdline'), 'rb') as handle:
            return handle.read().replace(b'\0', b' ').decode('utf-8', 'replace').strip()
    except (IOError, OSError):
        return ''


def listeners(ports, proc='/proc'):
    """[{'port', 'pid', 'command'}] for each of ``ports`` that a socket listens on; pid/command None if unreadable."""
    wanted = set(ports)
    inodes = dict((inode, port) for inode, port in listening_inodes(proc).items() if port in wanted)
    holders = _holders(proc, inodes)
    found = {}
    for inode, port in sorted(inodes.items(), key=lambda item: item[1]):
        pid = holders.get(inode)
        if port not in found or (found[port]['pid'] is None and pid is not None):
            found[port] = {'port': port, 'pid': pid, 'command': command_line(pid, proc) if pid is not None else None}
    return [found[port] for port in sorted(found)]


def foreign(found, owner):
    """The listeners that are not ``owner``'s (their command line does not run anything under the directory
    ``owner``; all of them without an owner), each with a ``description`` naming the port and the process."""
    inside = owner.rstrip('/') + '/' if owner else None
    return [dict(item, description=describe(item)) for item in found
            if not (inside and item['command'] and inside in item['command'])]


def describe(item):
    if item['pid'] is None:
        return 'port %d is held by a process this user cannot inspect' % item['port']
    return 'port %d is held by process %d (%s)' % (item['port'], item['pid'], item['command'][:200])
