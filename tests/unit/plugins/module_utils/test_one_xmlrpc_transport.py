# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The oned client on pyone's transport, against the simulator: error mapping, retries, timeouts, TLS, and the
process-wide socket timeout left alone."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import ssl
import threading
import time
import warnings
from xmlrpc.server import SimpleXMLRPCServer

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._http import RetryPolicy, TransportError
from ansible_collections.opennebula.flower.plugins.module_utils._one_errors import (
    OneAuthenticationError, OneError, OneInternalError, OneNoExistsError,
)
from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient, https_verify
from ansible_collections.opennebula.flower.plugins.module_utils._tls import (
    build_ca, build_server, cert_pem, generate_key, key_pem,
)
from tests.opennebula_sim import Simulator


@pytest.fixture(scope='module')
def sim():
    simulator = Simulator(one_version='7.4.0').start()
    try:
        yield simulator
    finally:
        simulator.stop()


def client_for(url, password, retries=0, sleeps=None, **kwargs):
    retry = RetryPolicy(retries=retries, sleep=(sleeps.append if sleeps is not None else lambda s: None))
    return OneXMLRPCClient(url, 'oneadmin', password, retry=retry, **kwargs)


@pytest.fixture
def client(sim):
    return client_for(sim.xmlrpc_url, sim.password)


def test_documents_come_back_as_dicts_through_pyone(sim, client):
    assert client.version() == '7.4.0'
    assert client.whoami()['NAME'] == 'oneadmin'
    image_id = client.image_allocate({'NAME': 'pyone-img', 'TYPE': 'DATABLOCK', 'SIZE': 1}, 1)
    assert client.image_info(image_id)['NAME'] == 'pyone-img'
    assert [i['NAME'] for i in client.image_pool()] == ['pyone-img']
    client.image_delete(image_id)


def test_oned_errors_keep_their_code_and_class_and_are_not_retried(sim):
    sleeps = []
    client = client_for(sim.xmlrpc_url, sim.password, retries=3, sleeps=sleeps)
    with pytest.raises(OneNoExistsError) as info:
        client.vm_info(9999)
    assert info.value.code == 0x400 and info.value.message == '[one.vm.info] Error getting virtual machine [9999].'
    client.template_allocate('NAME="pyone-dup"\nCPU="1"')
    with pytest.raises(OneInternalError) as info:
        client.template_allocate('NAME="pyone-dup"\nCPU="1"')
    assert info.value.code == 0x2000 and 'already taken' in info.value.message
    bad = client_for(sim.xmlrpc_url, 'wrong-password', retries=3, sleeps=sleeps)
    with pytest.raises(OneAuthenticationError) as info:
        bad.version()
    assert info.value.code == 0x100
    assert sleeps == []


def test_an_xmlrpc_fault_keeps_its_code(client):
    with pytest.raises(OneError) as info:
        client.call('nosuch.info')
    assert info.value.code == -506 and "one.nosuch.info: Method 'one.nosuch.info' not defined" == info.value.message


def test_503_is_retried_until_oned_answers(sim):
    sleeps = []
    sim.inject('http_error', api='xmlrpc', status=503, count=2)
    client = client_for(sim.xmlrpc_url, sim.password, retries=3, sleeps=sleeps)
    assert client.version() == '7.4.0'
    assert len(sleeps) == 2


def test_502_is_retried_only_for_calls_that_read(sim):
    sleeps = []
    client = client_for(sim.xmlrpc_url, sim.password, retries=3, sleeps=sleeps)
    sim.inject('http_error', api='xmlrpc', status=502, count=1)
    with pytest.raises(TransportError) as info:
        client.template_allocate('NAME="pyone-502"')
    assert info.value.status == 502 and not info.value.retryable and sleeps == []
    sim.faults.clear()


def _free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_connection_refused_is_retried_for_every_call():
    sleeps = []
    client = client_for('http://127.0.0.1:%d/RPC2' % _free_port(), 'pw', retries=2, sleeps=sleeps)
    with pytest.raises(TransportError) as info:
        client.template_allocate('NAME="x"')
    assert info.value.retryable and len(sleeps) == 2 and 'Cannot reach' in info.value.message


@pytest.fixture
def silent_server():
    """Accepts connections and never answers."""
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except socket.timeout:
                continue
            except OSError:
                return
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d/RPC2' % server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_the_timeout_is_per_request_and_the_process_default_is_untouched(silent_server):
    before = socket.getdefaulttimeout()
    sleeps = []
    client = client_for(silent_server, 'pw', retries=1, sleeps=sleeps, timeout=0.5)
    assert socket.getdefaulttimeout() == before
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        client.version()
    assert info.value.retryable and len(sleeps) == 1        # a read is repeated after a timeout
    assert time.monotonic() - started < 5
    with pytest.raises(TransportError) as info:
        client.template_allocate('NAME="x"')
    assert not info.value.retryable and len(sleeps) == 1    # a write may have happened: not repeated
    assert socket.getdefaulttimeout() == before


def test_tls_failures_are_reported_and_not_retried(sim):
    sleeps = []
    client = client_for(sim.xmlrpc_url.replace('http://', 'https://'), sim.password, retries=3, sleeps=sleeps)
    with pytest.raises(TransportError) as info:
        client.version()
    assert info.value.message.startswith('TLS error talking to https://') and sleeps == []


@pytest.fixture
def tls_oned(tmp_path):
    """An XML-RPC server on TLS (a certificate for 127.0.0.1 from a private CA); returns (url, CA file)."""
    ca_key, key = generate_key(), generate_key()
    ca = build_ca(ca_key, 'test CA', 1)
    (tmp_path / 'ca.pem').write_bytes(cert_pem(ca))
    (tmp_path / 'server.pem').write_bytes(cert_pem(build_server(key, ca, ca_key, '127.0.0.1', ['127.0.0.1'], 1)))
    (tmp_path / 'server.key').write_bytes(key_pem(key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tmp_path / 'server.pem'), str(tmp_path / 'server.key'))
    server = SimpleXMLRPCServer(('127.0.0.1', 0), logRequests=False)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.register_function(lambda session: [True, '7.4.0', 0], 'one.system.version')
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.02}, daemon=True)
    thread.start()
    yield 'https://127.0.0.1:%d/RPC2' % server.server_address[1], str(tmp_path / 'ca.pem')
    server.shutdown()
    server.server_close()


def test_tls_with_ca_path_without_validation_and_with_an_unknown_ca(tls_oned):
    url, ca_file = tls_oned
    assert client_for(url, 'pw', ca_path=ca_file).version() == '7.4.0'
    with warnings.catch_warnings():
        warnings.simplefilter('error')   # validate_certs=false asked for it: no InsecureRequestWarning
        assert client_for(url, 'pw', validate_certs=False).version() == '7.4.0'
    sleeps = []
    with pytest.raises(TransportError) as info:
        client_for(url, 'pw', retries=3, sleeps=sleeps).version()
    assert 'CERTIFICATE_VERIFY_FAILED' in info.value.message and not info.value.retryable and sleeps == []


def test_https_verify_follows_validate_certs_and_ca_path():
    assert https_verify(True, None) is True
    assert https_verify(True, '/etc/ca.pem') == '/etc/ca.pem'
    assert https_verify(False, '/etc/ca.pem') is False
