# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import grp
import os
import pwd
import stat

import pytest

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_ssh_private_key, load_ssh_public_key

from ansible_collections.opennebula.flower.plugins.module_utils import _tls
from ansible_collections.opennebula.flower.plugins.modules import flower_supernode_key


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


@pytest.fixture
def node_key(run_module, tmp_path):
    path = tmp_path / 'node.key'

    def _run(check_mode=False, diff=False, **args):
        args.setdefault('path', str(path))
        return run_module(flower_supernode_key, args, check_mode=check_mode, diff=diff)
    _run.path = path
    _run.pub = tmp_path / 'node.key.pub'
    return _run


def test_check_mode_on_empty_dir_writes_nothing(node_key):
    result = node_key(check_mode=True)
    assert result['changed'] is True and result['rotated'] is True
    assert result['public_key'] is None
    assert not node_key.path.exists() and not node_key.pub.exists()


@pytest.mark.parametrize('curve,ssh_type', [('secp256r1', 'ecdsa-sha2-nistp256'),
                                            ('secp384r1', 'ecdsa-sha2-nistp384'),
                                            ('secp521r1', 'ecdsa-sha2-nistp521')])
def test_creates_openssh_key_pair_then_is_idempotent(node_key, curve, ssh_type):
    result = node_key(curve=curve)
    assert result['changed'] is True
    raw = node_key.path.read_bytes()
    assert raw.startswith(b'-----BEGIN OPENSSH PRIVATE KEY-----')
    private = load_ssh_private_key(raw, None)
    public = load_ssh_public_key(node_key.pub.read_bytes())
    assert isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == curve
    assert public.public_numbers() == private.public_key().public_numbers()
    assert node_key.pub.read_text().strip() == result['public_key']
    assert result['public_key'].startswith(ssh_type + ' AAAA')
    assert result['fingerprint'] == _tls.ssh_fingerprint(result['public_key'])
    assert result['curve'] == curve
    assert (mode(node_key.path), mode(node_key.pub)) == (0o600, 0o644)
    assert 'PRIVATE' not in repr(result)

    again = node_key(curve=curve, diff=True)
    assert again['changed'] is False and again['rotated'] is False
    assert again['public_key'] == result['public_key']
    assert node_key(curve=curve, check_mode=True)['changed'] is False
    assert node_key.path.read_bytes() == raw


def test_flower_accepts_the_key_pair(node_key):
    supernode_cli = pytest.importorskip('flwr.supernode.cli.flower_supernode')
    register = pytest.importorskip('flwr.cli.supernode.register')
    node_key()
    loaded = supernode_cli._try_setup_client_authentication(
        argparse.Namespace(auth_supernode_private_key=str(node_key.path), auth_supernode_public_key=None))
    assert loaded is not None and loaded[0].curve.name == 'secp384r1'
    assert register.try_load_public_key(node_key.pub)  # exits the process on a key Flower rejects


@pytest.mark.parametrize('pub_content', [None, b'', b'ecdsa-sha2-nistp384 AAAAbroken\n', 'other'])
def test_wrong_pub_is_repaired_without_rotating(node_key, pub_content):
    first = node_key()
    raw = node_key.path.read_bytes()
    if pub_content is None:
        node_key.pub.unlink()
    elif pub_content == 'other':
        node_key.pub.write_text(_tls.ssh_public_line(_tls.generate_key()) + '\n')
    else:
        node_key.pub.write_bytes(pub_content)
    before = node_key.pub.read_bytes() if node_key.pub.exists() else None

    check = node_key(check_mode=True, diff=True)
    assert check['changed'] is True and check['rotated'] is False
    assert check['public_key'] == first['public_key']
    assert (node_key.pub.read_bytes() if node_key.pub.exists() else None) == before

    result = node_key()
    assert result['changed'] is True and result['rotated'] is False
    assert node_key.path.read_bytes() == raw
    assert node_key.pub.read_text().strip() == first['public_key']
    assert node_key()['changed'] is False


def test_comment_in_pub_file_is_accepted(node_key):
    first = node_key()
    node_key.pub.write_text(first['public_key'] + ' flower@node1\n')
    assert node_key()['changed'] is False


def test_curve_change_rotates(node_key):
    first = node_key()
    result = node_key(curve='secp256r1')
    assert result['rotated'] is True and 'curve' in result['reason']
    assert result['public_key'] != first['public_key']
    assert load_ssh_private_key(node_key.path.read_bytes(), None).curve.name == 'secp256r1'


def test_garbage_key_rotates(node_key):
    node_key.path.write_bytes(b'garbage')
    result = node_key()
    assert result['rotated'] is True
    assert load_ssh_private_key(node_key.path.read_bytes(), None).curve.name == 'secp384r1'


def test_pem_key_is_converted_keeping_its_identity(node_key):
    key = _tls.generate_key()
    node_key.path.write_bytes(_tls.key_pem(key))
    result = node_key()
    assert result['changed'] is True and result['rotated'] is False
    assert result['public_key'] == _tls.ssh_public_line(key)
    assert node_key.path.read_bytes().startswith(b'-----BEGIN OPENSSH PRIVATE KEY-----')
    assert node_key()['changed'] is False


def test_force_rotates(node_key):
    first = node_key()
    check = node_key(force=True, check_mode=True)
    assert check['changed'] is True and check['rotated'] is True
    result = node_key(force=True)
    assert result['rotated'] is True and result['public_key'] != first['public_key']


def test_mode_option_and_drift(node_key):
    node_key(mode='0640')
    assert mode(node_key.path) == 0o640
    assert node_key(mode='0640')['changed'] is False
    os.chmod(str(node_key.path), 0o644)
    result = node_key(diff=True)
    assert result['changed'] is True and result['rotated'] is False
    assert result['diff']['before']['key_mode'] == '0644'
    assert mode(node_key.path) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason='chown needs root')
def test_owner_and_group_as_root(node_key):
    nobody = pwd.getpwnam('nobody')
    group = grp.getgrgid(nobody.pw_gid).gr_name
    node_key(owner='nobody', group=group)
    for path in (node_key.path, node_key.pub):
        st = os.stat(str(path))
        assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid)
    assert node_key(owner='nobody', group=group)['changed'] is False
    assert node_key(owner='root', group=group)['changed'] is True
    assert os.stat(str(node_key.path)).st_uid == 0


def test_missing_directory_fails_naming_path(run_module, tmp_path):
    result = run_module(flower_supernode_key, dict(path=str(tmp_path / 'nope' / 'node.key')))
    assert result['failed'] and 'path' in result['msg']


def test_state_absent(node_key):
    node_key()
    assert node_key(state='absent', check_mode=True)['changed'] is True
    assert node_key.path.exists()
    assert node_key(state='absent')['changed'] is True
    assert not node_key.path.exists() and not node_key.pub.exists()
    assert node_key(state='absent')['changed'] is False
