# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A fake ``flwr`` CLI (1.42 behaviour) for unit tests, run as a real executable.

The ``fake_flwr`` fixture (``conftest_flwr.py``) writes a small ``#!<python>`` script that runs this file with
``STATE_PATH`` and ``CALLS_PATH`` set. The fake keeps the SuperLink's state (nodes, registered keys, runs) in the
JSON file ``STATE_PATH`` and appends one JSON line per call to ``CALLS_PATH``.

Like the real CLI (flower-runtime.md 2.4, 3.5, 7):
- ``--format json`` prints ``{"success": ...}`` and exits 0 even when the call failed; errors carry
  ``[code: N]`` in ``error-message``;
- registering a key that is in use, or that was ever unregistered, fails with ``[code: 23]``;
- ``flwr supernode list`` shows no public keys; node ids are strings there but an int from ``register``;
- ``flwr list --run-id N`` moves a run one step along its status script on every poll.

It refuses to answer (stderr ``FAKE-FLWR VIOLATION: ...``, exit 99, no JSON) unless the environment has
``FLWR_TELEMETRY_ENABLED=0``, ``FLWR_DISABLE_UPDATE_CHECK=1`` and a ``FLWR_HOME`` whose ``config.toml`` names the
connection given on the command line with the address and trust (``root-certificates`` or ``insecure``) the test
expects (``state['expect']``).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

KEY_TYPES = ('ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521')
# flwr.common.config.parse_config_args
RUN_CONFIG_PATTERN = re.compile(r"(\S+?)=(\'[^\']*\'|\"[^\"]*\"|\S+)")


class Violation(Exception):
    pass


def load_state(path):
    with open(path) as handle:
        return json.load(handle)


def save_state(path, state):
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    os.rename(tmp, path)


def check_environment(state, connection):
    env = os.environ
    for name, value in (('FLWR_TELEMETRY_ENABLED', '0'), ('FLWR_DISABLE_UPDATE_CHECK', '1')):
        if env.get(name) != value:
            raise Violation('%s must be %r, got %r' % (name, value, env.get(name)))
    home = env.get('FLWR_HOME')
    if not home:
        raise Violation('FLWR_HOME is not set')
    config_path = os.path.join(home, 'config.toml')
    if not os.path.isfile(config_path):
        raise Violation('%s does not exist' % config_path)
    with open(config_path, 'rb') as handle:
        config = tomllib.load(handle)
    superlinks = config.get('superlink', {})
    if connection is None:
        raise Violation('no connection name on the command line: %r' % sys.argv[1:])
    if connection not in superlinks or not isinstance(superlinks[connection], dict):
        raise Violation('connection %r is not in %s: %r' % (connection, config_path, superlinks))
    if superlinks.get('default') != connection:
        raise Violation('config.toml default is %r, not %r' % (superlinks.get('default'), connection))
    entry = superlinks[connection]
    expect = state['expect']
    if entry.get('address') != expect['address']:
        raise Violation('address %r, expected %r' % (entry.get('address'), expect['address']))
    if expect.get('insecure'):
        if entry.get('insecure') is not True or 'root-certificates' in entry:
            raise Violation('expected insecure = true and no root-certificates, got %r' % entry)
    else:
        if entry.get('insecure'):
            raise Violation('expected TLS, got insecure = true')
        if entry.get('root-certificates') != expect['root-certificates']:
            raise Violation('root-certificates %r, expected %r'
                            % (entry.get('root-certificates'), expect['root-certificates']))
        if not os.path.isfile(entry['root-certificates']):
            raise Violation('root-certificates %s does not exist' % entry['root-certificates'])


def split_args(argv):
    """(command words, positionals, options, json) for argv without the program name."""
    words = []
    if argv[:1] == ['supernode']:
        words, argv = argv[:2], argv[2:]
    else:
        words, argv = argv[:1], argv[1:]
    positionals, options, is_json = [], {}, False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == '--format':
            if argv[i + 1] not in ('json', 'default'):
                raise Violation('unknown --format %r' % argv[i + 1])
            is_json = argv[i + 1] == 'json'
            i += 2
        elif arg in ('--show', '--stream', '-v'):
            options[arg] = True
            i += 1
        elif arg.startswith('-'):
            options[arg] = argv[i + 1]
            i += 2
        else:
            positionals.append(arg)
            i += 1
    return ' '.join(words), positionals, options, is_json


class Failed(Exception):
    """A call the real CLI answers with success=false."""


def node_entry(node_id, status):
    return {'node-id': str(node_id), 'owner-name': 'flwr_user', 'status': status,
            'created-at': '2026-11-28 19:48:50Z', 'online-at': '2026-11-28 19:48:54Z' if status == 'online' else '',
            'online-elapsed': '', 'offline-at': '', 'deleted-at': ''}


def run_entry(run):
    script = run['script']
    return {'run-id': str(run['id']), 'federation-id': '@none/default', 'fab-id': 'research/' + run['name'],
            'fab-name': run['name'], 'fab-version': '1.0.0', 'fab-hash': run['fab-hash'],
            'status': script[run['index']], 'status-details': run.get('details', 'N/A'),
            'elapsed': 1.5 * run['index'], 'pending-at': '', 'starting-at': '', 'running-at': '', 'finished-at': '',
            'network-traffic': {'inbound-bytes': 10, 'outbound-bytes': 20, 'total-bytes': 30},
            'compute-time': {'serverapp-seconds': 1.0, 'clientapp-seconds': 2.0, 'total-seconds': 3.0}}


def cmd_supernode_list(state, positionals, options):
    listing = {'nodes': [node_entry(node['id'], node['status']) for node in state['nodes']]}
    # A node's 'later' statuses show in the following list calls, one each (a SuperNode coming online).
    changed = False
    for node in state['nodes']:
        if node.get('later'):
            node['status'] = node['later'].pop(0)
            changed = True
    return listing, changed


def cmd_supernode_register(state, positionals, options):
    with open(positionals[0]) as handle:
        parts = handle.read().strip().split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise Failed('Failed to register the SuperNode: the public key is not a NIST EC key\n[code: 22] '
                     'Invalid public key.')
    if parts[1] in state['keys']:
        raise Failed('Failed to register the SuperNode\n[code: 23] Public key already in use.')
    node_id = state['next_node_id']
    state['next_node_id'] += 7919
    state['keys'][parts[1]] = node_id
    state['nodes'].append({'id': node_id, 'status': 'registered'})
    return {'node-id': node_id}, True


def cmd_supernode_unregister(state, positionals, options):
    node_id = int(positionals[0])
    for node in state['nodes']:
        if node['id'] == node_id and node['status'] != 'unregistered':
            node['status'] = 'unregistered'
            return {'node-id': node_id}, True
    raise Failed('Failed to unregister the SuperNode\n[code: 24] Node %s not found.' % node_id)


def cmd_run(state, positionals, options):
    app = positionals[0]
    pyproject = os.path.join(app, 'pyproject.toml')
    if not os.path.isfile(pyproject):
        raise Failed('Invalid Flower App: %s has no pyproject.toml' % app)
    with open(pyproject, 'rb') as handle:
        name = tomllib.load(handle).get('project', {}).get('name', 'app')
    run_config = {}
    if '--run-config' in options:
        matches = RUN_CONFIG_PATTERN.findall(options['--run-config'])
        try:
            run_config = tomllib.loads('\n'.join('%s = %s' % (k, v) for k, v in matches))
        except tomllib.TOMLDecodeError:
            raise Failed('The provided configuration string is in an invalid format.')
    run_id = state['next_run_id']
    state['next_run_id'] += 104729
    plan = state['next_run']
    state['runs'][str(run_id)] = {'id': run_id, 'name': name, 'app': app, 'run-config': run_config,
                                  'run-config-string': options.get('--run-config'), 'script': plan['script'],
                                  'index': 0, 'details': plan.get('details', 'N/A'), 'log': plan['log'],
                                  'fab-hash': 'd6f554b0a94eb7264f0413ab810c1c23'}
    return {'run-id': str(run_id), 'federation-id': '@none/default', 'fab-id': 'research/' + name,
            'fab-name': name, 'fab-version': '1.0.0', 'fab-hash': 'd6f554b0'}, True


def cmd_list(state, positionals, options):
    if '--run-id' not in options:
        return {'runs': [run_entry(run) for run in state['runs'].values()]}, False
    run = state['runs'].get(str(int(options['--run-id'])))
    if run is None:
        raise Failed('Run ID %s not found\n[code: 14] Run not found.' % options['--run-id'])
    entry = run_entry(run)
    changed = run['index'] < len(run['script']) - 1
    if changed:
        run['index'] += 1
    return {'runs': [entry]}, changed


def cmd_log(state, positionals, options):
    run = state['runs'].get(str(int(positionals[0])))
    if run is None:
        sys.stderr.write('Run %s not found\n' % positionals[0])
        return 1
    if not options.get('--show') and not options.get('--stream'):
        raise Violation('flwr log needs --show or --stream')
    # --stream ends at once here, like a stream cut short: callers must still poll the run's status.
    for line in run['log']:
        print(line)
    return 0


COMMANDS = {
    'supernode list': (cmd_supernode_list, 0),
    'supernode ls': (cmd_supernode_list, 0),
    'supernode register': (cmd_supernode_register, 1),
    'supernode unregister': (cmd_supernode_unregister, 1),
    'run': (cmd_run, 1),
    'list': (cmd_list, 0),
    'ls': (cmd_list, 0),
}


def main(state_path, calls_path):
    argv = sys.argv[1:]
    with open(calls_path, 'a') as handle:
        handle.write(json.dumps({'argv': argv}) + '\n')
    is_json = False
    try:
        state = load_state(state_path)
        command, positionals, options, is_json = split_args(argv)
        if command not in COMMANDS and command != 'log':
            raise Violation('unknown command %r' % command)
        needed = 1 if command == 'log' else COMMANDS[command][1]
        if len(positionals) != needed + 1:
            raise Violation('%s wants %d argument(s) and the connection name, got %r' % (command, needed, positionals))
        check_environment(state, positionals[-1])
        if command == 'log':
            return cmd_log(state, positionals, options)
        message = state.get('fail', {}).get(command)
        if message is not None:
            raise Failed(message)
        document, changed = COMMANDS[command][0](state, positionals, options)
    except Violation as err:
        sys.stderr.write('FAKE-FLWR VIOLATION: %s\n' % err)
        return 99
    except Failed as err:
        if is_json:
            # The real CLI pretty-prints this with rich; the notice before it is what the CLI may print too.
            print('Loading project configuration...')
            print(json.dumps({'success': False, 'error-message': '\u274c ' + str(err)}, indent=2))
            return 0
        sys.stderr.write('\u274c %s\n' % err)
        return 1
    if changed:
        save_state(state_path, state)
    document['success'] = True
    if is_json:
        print(json.dumps(document, indent=2))
    else:
        print('\u2705 %s done' % command)
    return 0


if __name__ == '__main__':
    sys.exit(main(globals()['STATE_PATH'], globals()['CALLS_PATH']))
