# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import grp
import ipaddress
import json
import os
import pwd
import socket
import ssl
import stat
import threading

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store

from ansible_collections.opennebula.flower.plugins.module_utils import _tls
from ansible_collections.opennebula.flower.plugins.modules import flower_tls

FILES = ('ca.crt', 'ca.key', 'server.pem', 'server.key')


def snapshot(d):
    return dict((f, (d / f).read_bytes()) for f in FILES if (d / f).exists())


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def load(d):
    return dict(ca=x509.load_pem_x509_certificate((d / 'ca.crt').read_bytes()),
                cert=x509.load_pem_x509_certificate((d / 'server.pem').read_bytes()),
                key=serialization.load_pem_private_key((d / 'server.key').read_bytes(), None),
                ca_key=serialization.load_pem_private_key((d / 'ca.key').read_bytes(), None))


def verify(ca, cert, name):
    try:
        subject = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        subject = x509.DNSName(name)
    return PolicyBuilder().store(Store([ca])).build_server_verifier(subject).verify(cert, [])


def regenerated(result):
    return sorted(r['file'] for r in result['regenerated'])


@pytest.fixture
def tls(run_module, tmp_path):
    d = tmp_path / 'tls'

    def _run(check_mode=False, diff=False, **args):
        args.setdefault('path', str(d))
        return run_module(flower_tls, args, check_mode=check_mode, diff=diff)
    _run.dir = d
    return _run


@pytest.fixture(scope='module')
def operator_pki():
    ca_key = _tls.generate_key()
    ca = _tls.build_ca(ca_key, 'Operator CA', 365)
    key = _tls.generate_key()
    cert = _tls.build_server(key, ca, ca_key, 'sl.example', _tls.normalize_sans(['sl.example']), 90)
    pem = dict(ca_cert=_tls.cert_pem(ca).decode(), ca_key=_tls.key_pem(ca_key).decode(),
               cert=_tls.cert_pem(cert).decode(), key=_tls.key_pem(key).decode())
    return dict(ca=ca, ca_key=ca_key, key=key, cert=cert, pem=pem)


def test_check_mode_on_empty_dir_predicts_change_and_writes_nothing(tls):
    result = tls(check_mode=True, diff=True, subject_alt_names=['sl.example'])
    assert result['changed'] is True
    assert regenerated(result) == sorted(FILES)
    assert result['ca_fingerprint'] is None and result['server_fingerprint'] is None
    assert not tls.dir.exists()


def test_apply_creates_valid_pki_then_is_idempotent(tls):
    result = tls(subject_alt_names=['sl.example', '10.0.0.5'])
    assert result['changed'] is True
    pki = load(tls.dir)
    cert = pki['cert']
    assert set(_tls.cert_sans(cert)) == {'sl.example', '10.0.0.5', 'localhost', '127.0.0.1'}
    assert result['subject_alt_names'] == ['sl.example', '10.0.0.5', 'localhost', '127.0.0.1']
    assert ExtendedKeyUsageOID.SERVER_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert pki['key'].public_key().public_numbers() == cert.public_key().public_numbers()
    assert pki['ca_key'].public_key().public_numbers() == pki['ca'].public_key().public_numbers()
    for name in ('sl.example', '10.0.0.5', 'localhost', '127.0.0.1'):
        verify(pki['ca'], cert, name)
    assert cert.subject.rfc4514_string() == 'CN=sl.example'
    assert result['ca_cert'] == (tls.dir / 'ca.crt').read_text()
    assert result['ca_fingerprint'] == _tls.fingerprint(pki['ca'])
    assert result['server_fingerprint'] == _tls.fingerprint(cert)
    assert result['not_after'] == _tls.iso(_tls.not_after(cert))
    assert (mode(tls.dir / 'ca.key'), mode(tls.dir / 'server.key')) == (0o600, 0o600)
    assert (mode(tls.dir / 'ca.crt'), mode(tls.dir / 'server.pem')) == (0o644, 0o644)
    assert 'PRIVATE KEY' not in json.dumps(result)
    assert [p.name for p in tls.dir.iterdir() if p.name not in FILES] == []  # no temp files left

    before = snapshot(tls.dir)
    again = tls(subject_alt_names=['sl.example', '10.0.0.5'])
    assert again['changed'] is False and again['regenerated'] == []
    assert again['ca_fingerprint'] == result['ca_fingerprint']
    assert tls(check_mode=True, subject_alt_names=['SL.example', 'localhost', '10.0.0.5'])['changed'] is False
    assert snapshot(tls.dir) == before


def test_default_common_name(tls):
    tls()
    assert load(tls.dir)['cert'].subject.rfc4514_string() == 'CN=superlink'
    result = tls(common_name='flower-superlink')
    assert regenerated(result) == ['server.pem']
    assert load(tls.dir)['cert'].subject.rfc4514_string() == 'CN=flower-superlink'


def test_san_change_regenerates_server_cert_only(tls):
    first = tls(subject_alt_names=['sl.example'])
    ca_before = snapshot(tls.dir)
    check = tls(check_mode=True, diff=True, subject_alt_names=['sl.example', '10.0.0.9'])
    assert check['changed'] is True and regenerated(check) == ['server.pem']
    assert 'added: 10.0.0.9' in check['regenerated'][0]['reason']
    assert check['diff']['before']['server.pem']['subject_alt_names'] == ['sl.example', 'localhost', '127.0.0.1']
    assert snapshot(tls.dir) == ca_before

    result = tls(diff=True, subject_alt_names=['sl.example', '10.0.0.9'])
    assert regenerated(result) == ['server.pem']
    assert result['ca_fingerprint'] == first['ca_fingerprint']
    assert result['server_fingerprint'] != first['server_fingerprint']
    after = snapshot(tls.dir)
    assert (after['ca.key'], after['ca.crt'], after['server.key']) == (
        ca_before['ca.key'], ca_before['ca.crt'], ca_before['server.key'])
    pki = load(tls.dir)
    verify(pki['ca'], pki['cert'], '10.0.0.9')
    assert '10.0.0.9' in result['diff']['after']['server.pem']['subject_alt_names']
    assert 'PRIVATE KEY' not in json.dumps(result['diff'])


def test_expiring_server_cert_is_renewed(tls):
    tls(valid_days=5, renew_before_days=1)
    first = load(tls.dir)['cert']
    check = tls(check_mode=True, valid_days=825, renew_before_days=10)
    assert regenerated(check) == ['server.pem'] and 'renew_before_days' in check['regenerated'][0]['reason']
    result = tls(valid_days=825, renew_before_days=10)
    assert regenerated(result) == ['server.pem']
    cert = load(tls.dir)['cert']
    assert cert.serial_number != first.serial_number
    assert _tls.not_after(cert) - _tls.utcnow() > datetime.timedelta(days=820)


def test_renewing_every_run_warns(tls):
    tls(valid_days=5, renew_before_days=10)
    result = tls(valid_days=5, renew_before_days=10)
    assert regenerated(result) == ['server.pem']
    assert 'valid_days <= renew_before_days' in json.dumps(result.get('warnings'))  # 2.19 warnings are objects


def test_expiring_ca_is_reissued_with_same_key_keeping_server_cert(tls):
    tls(ca_valid_days=5, renew_before_days=1)
    before = snapshot(tls.dir)
    result = tls(renew_before_days=10)
    assert regenerated(result) == ['ca.crt']
    after = snapshot(tls.dir)
    assert after['ca.key'] == before['ca.key'] and after['server.pem'] == before['server.pem']
    pki = load(tls.dir)
    verify(pki['ca'], pki['cert'], 'localhost')  # the old server cert still chains to the reissued CA
    assert _tls.not_after(pki['ca']) - _tls.utcnow() > datetime.timedelta(days=3600)


def test_ca_common_name_change_reissues_ca_and_server(tls):
    tls()
    result = tls(ca_common_name='Federation CA')
    assert regenerated(result) == ['ca.crt', 'server.pem']
    pki = load(tls.dir)
    verify(pki['ca'], pki['cert'], '127.0.0.1')


def test_mismatched_server_key_reissues_cert_for_that_key(tls):
    first = tls()
    new_key = _tls.generate_key()
    (tls.dir / 'server.key').write_bytes(_tls.key_pem(new_key))
    assert tls(check_mode=True)['changed'] is True
    result = tls()
    assert regenerated(result) == ['server.pem']
    assert 'does not match' in result['regenerated'][0]['reason']
    pki = load(tls.dir)
    assert _tls.key_matches(new_key, pki['cert'])
    assert result['ca_fingerprint'] == first['ca_fingerprint']
    assert tls()['changed'] is False


def test_wrong_server_key_type_and_garbage_are_replaced(tls):
    tls()
    (tls.dir / 'server.key').write_bytes(b'not a key')
    result = tls()
    assert regenerated(result) == ['server.key', 'server.pem']
    assert _tls.is_p384(load(tls.dir)['key'])


def test_server_cert_from_another_ca_is_reissued(tls, operator_pki):
    tls()
    (tls.dir / 'server.key').write_bytes(_tls.key_pem(operator_pki['key']))
    (tls.dir / 'server.pem').write_bytes(_tls.cert_pem(operator_pki['cert']))
    result = tls()
    assert regenerated(result) == ['server.pem']
    assert 'not signed by the current CA' in result['regenerated'][0]['reason']


def test_missing_ca_key_regenerates_the_ca(tls):
    first = tls()
    (tls.dir / 'ca.key').unlink()
    result = tls()
    assert regenerated(result) == ['ca.crt', 'ca.key', 'server.pem']
    assert result['ca_fingerprint'] != first['ca_fingerprint']
    pki = load(tls.dir)
    verify(pki['ca'], pki['cert'], 'localhost')


def test_mode_drift_is_fixed_and_predicted(tls):
    tls()
    os.chmod(str(tls.dir / 'server.key'), 0o644)
    os.chmod(str(tls.dir / 'ca.key'), 0o640)
    check = tls(check_mode=True, diff=True)
    assert check['changed'] is True and check['regenerated'] == []
    assert mode(tls.dir / 'server.key') == 0o644
    assert check['diff']['before']['server.key']['mode'] == '0644'
    result = tls()
    assert result['changed'] is True and result['regenerated'] == []
    assert (mode(tls.dir / 'server.key'), mode(tls.dir / 'ca.key')) == (0o600, 0o600)


@pytest.mark.skipif(os.geteuid() != 0, reason='chown needs root')
def test_owner_and_group_as_root(tls):
    nobody = pwd.getpwnam('nobody')
    group = grp.getgrgid(nobody.pw_gid).gr_name
    tls(owner='nobody', group=group)
    for f in ('server.key', 'server.pem', 'ca.crt'):
        st = os.stat(str(tls.dir / f))
        assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid)
    assert mode(tls.dir / 'server.key') == 0o640
    ca_key = os.stat(str(tls.dir / 'ca.key'))
    assert ca_key.st_uid == 0 and mode(tls.dir / 'ca.key') == 0o600
    assert tls(owner='nobody', group=group)['changed'] is False

    os.chown(str(tls.dir / 'ca.key'), nobody.pw_uid, nobody.pw_gid)  # the service user must never own it
    assert tls(owner='nobody', group=group)['changed'] is True
    assert os.stat(str(tls.dir / 'ca.key')).st_uid == 0


def test_owner_as_current_user_is_a_no_op(tls):
    me = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.stat(str(tls.dir.parent)).st_gid).gr_name  # new files get the directory's group
    tls(group=group)
    assert tls(owner=me, group=group)['changed'] is False


def test_state_absent(tls):
    tls()
    check = tls(state='absent', check_mode=True)
    assert check['changed'] is True and len(snapshot(tls.dir)) == 4
    assert tls(state='absent')['changed'] is True
    assert snapshot(tls.dir) == {}
    assert tls(state='absent')['changed'] is False


@pytest.mark.parametrize('args,option', [
    (dict(subject_alt_names=['bad name']), 'subject_alt_names'),
    (dict(valid_days=0), 'valid_days'),
    (dict(common_name='x' * 65), 'common_name'),
])
def test_invalid_options_fail_naming_the_option(tls, args, option):
    result = tls(**args)
    assert result['failed'] and option in result['msg']
    assert not tls.dir.exists()


# ---- operator-provided material

def test_operator_full_set_is_installed_and_idempotent(tls, operator_pki):
    pem = operator_pki['pem']
    args = dict(subject_alt_names=['sl.example'], operator_ca_cert=pem['ca_cert'],
                operator_cert=pem['cert'], operator_key=pem['key'])
    check = tls(check_mode=True, **args)
    assert check['changed'] is True and not tls.dir.exists()
    assert check['server_fingerprint'] == _tls.fingerprint(operator_pki['cert'])
    result = tls(**args)
    assert regenerated(result) == ['ca.crt', 'server.key', 'server.pem']
    assert (tls.dir / 'ca.crt').read_text() == pem['ca_cert']
    assert (tls.dir / 'server.pem').read_text() == pem['cert']
    assert not (tls.dir / 'ca.key').exists()
    assert pem['key'].split('\n')[1] not in json.dumps(result)
    assert tls(**args)['changed'] is False


def test_operator_ca_signs_the_server_cert_without_writing_its_key(tls, operator_pki):
    pem = operator_pki['pem']
    args = dict(subject_alt_names=['10.0.0.7'], operator_ca_cert=pem['ca_cert'], operator_ca_key=pem['ca_key'])
    result = tls(**args)
    assert regenerated(result) == ['ca.crt', 'server.key', 'server.pem']
    assert not (tls.dir / 'ca.key').exists()
    assert all(pem['ca_key'].split('\n')[1] not in (tls.dir / f).read_text() for f in os.listdir(str(tls.dir)))
    cert = x509.load_pem_x509_certificate((tls.dir / 'server.pem').read_bytes())
    verify(operator_pki['ca'], cert, '10.0.0.7')
    assert result['ca_fingerprint'] == _tls.fingerprint(operator_pki['ca'])
    assert tls(**args)['changed'] is False


def _other_ca_cert():
    key = _tls.generate_key()
    return key, _tls.build_ca(key, 'Operator CA', 365)


@pytest.mark.parametrize('case,option', [
    ('bad_chain', 'operator_ca_cert'),
    ('key_mismatch', 'operator_key'),
    ('missing_san', 'subject_alt_names'),
    ('garbage_cert', 'operator_cert'),
    ('ca_key_mismatch', 'operator_ca_key'),
    ('ca_cert_alone', 'operator_ca_cert'),
])
def test_operator_material_is_validated_and_nothing_written(tls, operator_pki, case, option):
    pem = operator_pki['pem']
    args = dict(subject_alt_names=['sl.example'], operator_ca_cert=pem['ca_cert'],
                operator_cert=pem['cert'], operator_key=pem['key'])
    if case == 'bad_chain':
        args['operator_ca_cert'] = _tls.cert_pem(_other_ca_cert()[1]).decode()  # same name, other key
    elif case == 'key_mismatch':
        args['operator_key'] = _tls.key_pem(_tls.generate_key()).decode()
    elif case == 'missing_san':
        args['subject_alt_names'] = ['sl.example', 'other.example']
    elif case == 'garbage_cert':
        args['operator_cert'] = 'garbage'
    elif case == 'ca_key_mismatch':
        del args['operator_cert'], args['operator_key']
        args['operator_ca_key'] = _tls.key_pem(_other_ca_cert()[0]).decode()
    elif case == 'ca_cert_alone':
        del args['operator_cert'], args['operator_key']
    result = tls(**args)
    assert result.get('failed'), result
    assert option in result['msg']
    if case == 'missing_san':
        assert 'other.example' in result['msg']
    assert not tls.dir.exists()


def test_failed_validation_leaves_existing_files_alone(tls):
    tls()
    before = snapshot(tls.dir)
    result = tls(operator_ca_cert='garbage', operator_ca_key='garbage')
    assert result['failed'] and 'operator_ca_cert' in result['msg']
    assert snapshot(tls.dir) == before


# ---- a real TLS handshake

def _serve_once(ctx, sock, errors):
    try:
        conn, _addr = sock.accept()
        with ctx.wrap_socket(conn, server_side=True) as tls_conn:
            tls_conn.sendall(tls_conn.recv(16))
    except (ssl.SSLError, OSError) as exc:
        errors.append(exc)


@pytest.mark.parametrize('server_hostname', ['127.0.0.1', 'localhost'])
def test_python_ssl_handshake_with_generated_files(tls, server_hostname):
    tls(subject_alt_names=['sl.example'])
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(str(tls.dir / 'server.pem'), str(tls.dir / 'server.key'))
    client_ctx = ssl.create_default_context(cafile=str(tls.dir / 'ca.crt'))
    errors = []
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        sock.listen(1)
        thread = threading.Thread(target=_serve_once, args=(server_ctx, sock, errors))
        thread.start()
        with socket.create_connection(sock.getsockname(), timeout=10) as raw:
            with client_ctx.wrap_socket(raw, server_hostname=server_hostname) as conn:
                conn.sendall(b'ping')
                assert conn.recv(16) == b'ping'
                assert conn.getpeercert()['subject'] == ((('commonName', 'sl.example'),),)
        thread.join(10)
    assert errors == []


def test_python_ssl_rejects_a_name_not_in_the_certificate(tls):
    tls()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(str(tls.dir / 'server.pem'), str(tls.dir / 'server.key'))
    client_ctx = ssl.create_default_context(cafile=str(tls.dir / 'ca.crt'))
    errors = []
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        sock.listen(1)
        thread = threading.Thread(target=_serve_once, args=(server_ctx, sock, errors))
        thread.start()
        with socket.create_connection(sock.getsockname(), timeout=10) as raw:
            with pytest.raises(ssl.SSLCertVerificationError):
                client_ctx.wrap_socket(raw, server_hostname='other.example')
        thread.join(10)
