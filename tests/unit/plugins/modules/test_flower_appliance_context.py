# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""flower_appliance_context run for real on a context directory: what the role gets, and every error at once."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64

from ansible_collections.opennebula.flower.plugins.modules import flower_appliance_context

KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n'
CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'


def b64(text):
    return base64.b64encode(text.encode()).decode()


def context_dir(tmp_path, name='context', **variables):
    directory = tmp_path / name
    directory.mkdir()
    lines = ["ETH0_IP='198.18.8.10'", "VMID='7'"] + ["%s='%s'" % (k, v) for k, v in variables.items()]
    (directory / 'context.sh').write_text('\n'.join(lines) + '\n')
    return directory


def args(tmp_path, directory, role='superlink'):
    return {'role': role, 'context_dirs': [str(directory)], 'one_env': str(tmp_path / 'one_env'),
            'installed_versions': ['1.42.0']}


def test_the_operators_key_reaches_the_role_unmasked(run_module, tmp_path):
    directory = context_dir(tmp_path, ONEAPP_FL_SSL_CA_CERTFILE=b64(CERT), ONEAPP_FL_SSL_CERTFILE=b64(CERT),
                            ONEAPP_FL_SSL_KEYFILE=b64(KEY))
    result = run_module(flower_appliance_context, args(tmp_path, directory))
    assert not result.get('failed'), result
    assert result['role_vars']['superlink_tls_operator_key'] == KEY


def test_training_defaults_come_back_and_every_error_at_once(run_module, tmp_path):
    directory = context_dir(tmp_path, ONEAPP_FL_STRATEGY='FedMedian', ONEAPP_FL_NUM_ROUNDS='2')
    result = run_module(flower_appliance_context, args(tmp_path, directory))
    assert result['training']['strategy'] == 'FedMedian' and result['training']['num-server-rounds'] == 2
    bad = context_dir(tmp_path, 'bad', ONEAPP_FL_STRATEGY='Krum', ONEAPP_FL_MIN_NODES='4',
                      ONEAPP_FL_NUM_MALICIOUS='1', ONEAPP_FL_SSL_KEYFILE=b64(CERT))
    result = run_module(flower_appliance_context, args(tmp_path, bad))
    assert result['failed'] and len(result['errors']) == 2, result
    assert "ONEAPP_FL_SSL_KEYFILE='<secret>' is invalid" in result['errors'][0]
    assert 'needs ONEAPP_FL_MIN_NODES >= 2f+3 = 5, but ONEAPP_FL_MIN_NODES=4' in result['errors'][1]
    assert b64(CERT) not in result['msg']
