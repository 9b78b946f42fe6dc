# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import ipaddress
import shutil
import subprocess

import pytest

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.opennebula.flower.plugins.module_utils import _tls


@pytest.fixture(scope='module')
def pki():
    ca_key = _tls.generate_key()
    ca = _tls.build_ca(ca_key, 'Test CA', 30)
    key = _tls.generate_key()
    cert = _tls.build_server(key, ca, ca_key, 'sl', _tls.normalize_sans(['sl.example', '10.1.2.3']), 10)
    return dict(ca_key=ca_key, ca=ca, key=key, cert=cert)


def test_normalize_sans_always_adds_loopback_and_normalises():
    assert _tls.normalize_sans([]) == ['localhost', '127.0.0.1']
    assert _tls.normalize_sans(['SL.Example', 'IP:10.0.0.1', 'DNS:sl.example', '::0001']) == [
        'sl.example', '10.0.0.1', '::1', 'localhost', '127.0.0.1']


@pytest.mark.parametrize('bad', ['not a name', 'IP:sl.example', 'a..b', ''])
def test_normalize_sans_rejects_bad_names_naming_the_option(bad):
    with pytest.raises(_tls.TLSError, match='subject_alt_names'):
        _tls.normalize_sans([bad])


def test_ca_certificate_profile(pki):
    ca = pki['ca']
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert bc.critical and bc.value.ca
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and not ku.value.digital_signature
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey) and ca.public_key().curve.name == 'secp384r1'
    assert _tls.issued_by(ca, ca)


def test_server_certificate_profile(pki):
    cert = pki['cert']
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH]
    assert set(_tls.cert_sans(cert)) == {'sl.example', '10.1.2.3', 'localhost', '127.0.0.1'}
    assert _tls.key_matches(pki['key'], cert) and not _tls.key_matches(pki['ca_key'], cert)
    assert _tls.issued_by(cert, pki['ca'])
    lifetime = _tls.not_after(cert) - _tls.utcnow()
    assert datetime.timedelta(days=9) < lifetime <= datetime.timedelta(days=10)


def test_server_certificate_passes_webpki_verification(pki):
    verification = pytest.importorskip('cryptography.x509.verification')
    store = verification.Store([pki['ca']])
    for name in (x509.DNSName('sl.example'), x509.DNSName('localhost'),
                 x509.IPAddress(ipaddress.ip_address('127.0.0.1'))):
        verifier = verification.PolicyBuilder().store(store).build_server_verifier(name)
        chain = verifier.verify(pki['cert'], [])
        assert chain[-1] == pki['ca']


def test_issued_by_rejects_other_ca_and_same_name_other_key(pki):
    other_key = _tls.generate_key()
    assert not _tls.issued_by(pki['cert'], _tls.build_ca(other_key, 'Other CA', 30))
    # same subject name, different key: only the signature tells them apart
    assert not _tls.issued_by(pki['cert'], _tls.build_ca(other_key, 'Test CA', 30))


def test_load_helpers_tolerate_garbage():
    assert _tls.load_certs(b'garbage') is None
    assert _tls.load_certs(b'-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') is None
    assert _tls.load_private_key(b'garbage') is None


def test_load_certs_keeps_chain_order(pki):
    data = _tls.cert_pem(pki['cert']) + _tls.cert_pem(pki['ca'])
    assert _tls.load_certs(data) == [pki['cert'], pki['ca']]


def test_cert_info_has_no_key_material(pki):
    info = _tls.cert_info([pki['cert']])
    assert info['fingerprint'] == _tls.fingerprint(pki['cert'])
    assert len(info['fingerprint'].split(':')) == 32
    assert 'PRIVATE' not in repr(info) and 'PRIVATE' not in repr(_tls.key_info(pki['key']))


@pytest.mark.parametrize('curve,ssh_type', [('secp256r1', 'ecdsa-sha2-nistp256'),
                                            ('secp384r1', 'ecdsa-sha2-nistp384'),
                                            ('secp521r1', 'ecdsa-sha2-nistp521')])
def test_ssh_formats(curve, ssh_type):
    key = _tls.generate_key(curve)
    line = _tls.ssh_public_line(key)
    assert line.startswith(ssh_type + ' AAAA')
    loaded, openssh = _tls.load_node_key(_tls.ssh_private_bytes(key))
    assert openssh and _tls.ssh_public_line(loaded) == line
    pem_loaded, openssh = _tls.load_node_key(_tls.key_pem(key))
    assert not openssh and _tls.ssh_public_line(pem_loaded) == line


@pytest.mark.skipif(shutil.which('ssh-keygen') is None, reason='ssh-keygen not installed')
def test_ssh_fingerprint_matches_ssh_keygen(tmp_path):
    line = _tls.ssh_public_line(_tls.generate_key())
    pub = tmp_path / 'k.pub'
    pub.write_text(line + '\n')
    out = subprocess.check_output(['ssh-keygen', '-l', '-E', 'sha256', '-f', str(pub)]).decode()
    assert out.split()[1] == _tls.ssh_fingerprint(line)
