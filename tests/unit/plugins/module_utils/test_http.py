# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_http: error mapping, retries with capped exponential backoff and jitter, a real local HTTP server."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils import _http
from ansible_collections.opennebula.flower.plugins.module_utils._http import (
    AuthenticationError, BadRequestError, ForbiddenError, HTTPClient, NotFoundError, RetryPolicy, ServerError,
    TransportError, backoff_delay, error_message, map_http_error,
)

SINATRA_404 = "<!DOCTYPE html>\n<html>\n<head>\n</head><body><h2>Sinatra doesn't know this ditty.</h2></body></html>"


class Sleeper:
    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


def test_backoff_is_exponential_capped_and_jittered():
    low = [backoff_delay(n, base=1, cap=8, rand=lambda: 0.0) for n in range(6)]
    high = [backoff_delay(n, base=1, cap=8, rand=lambda: 1.0) for n in range(6)]
    assert high == [1, 2, 4, 8, 8, 8]
    assert low == [0.5, 1, 2, 4, 4, 4]


def test_error_message_plain_json_and_html():
    assert error_message(500, 'Service cannot be scaled in state: COOLDOWN') == \
        'Service cannot be scaled in state: COOLDOWN'
    assert error_message(500, '{"message":"Internal server error","reason":"unexpected token"}') == \
        'Internal server error: unexpected token'
    assert error_message(500, '{"error":{"message":"boom"}}') == 'boom'
    assert error_message(404, SINATRA_404) == 'HTTP 404: the server has no such route'
    assert error_message(204, '') == 'HTTP 204'


@pytest.mark.parametrize('status,cls', [(400, BadRequestError), (401, AuthenticationError), (403, ForbiddenError),
                                        (404, NotFoundError), (500, ServerError), (503, ServerError)])
def test_map_http_error_classes(status, cls):
    err = map_http_error(status, 'x', url='http://127.0.0.1/', method='GET')
    assert err.__class__ is cls
    assert err.status == status


def test_retryable_depends_on_status_and_method():
    assert map_http_error(503, '', method='GET').retryable
    assert map_http_error(502, '', method='GET').retryable
    assert not map_http_error(500, '', method='GET').retryable  # OneFlow state errors
    assert not map_http_error(502, '', method='POST').retryable  # may have been processed
    assert map_http_error(503, '', method='POST').retryable
    assert not map_http_error(404, '', method='GET').retryable


def test_transport_error_retry_rules():
    refused = _http.map_transport_error(ConnectionRefusedError(111, 'refused'), 'u', 'POST')
    timeout = _http.map_transport_error(socket.timeout('timed out'), 'u', 'POST')
    timeout_get = _http.map_transport_error(socket.timeout('timed out'), 'u', 'GET')
    assert refused.retryable and not timeout.retryable and timeout_get.retryable
    import ssl
    assert not _http.map_transport_error(ssl.SSLError('bad cert'), 'u', 'GET').retryable


def test_retry_policy_retries_only_retryable_errors():
    sleeper = Sleeper()
    policy = RetryPolicy(retries=3, base=1, cap=4, sleep=sleeper, rand=lambda: 1.0)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ServerError('busy', status=503, retryable=True)
        return 'ok'

    assert policy.call(flaky) == 'ok'
    assert sleeper.calls == [1, 2]

    def broken():
        calls.append(1)
        raise ServerError('Service cannot be scaled in state: COOLDOWN', status=500)

    del calls[:]
    with pytest.raises(ServerError):
        policy.call(broken)
    assert len(calls) == 1

    def down():
        calls.append(1)
        raise TransportError('refused', retryable=True)

    del calls[:]
    sleeper.calls[:] = []
    with pytest.raises(TransportError):
        policy.call(down)
    assert len(calls) == 4 and sleeper.calls == [1, 2, 4]


class _Handler(BaseHTTPRequestHandler):
    script = []
    seen = []

    def log_message(self, *args):
        pass

    def _reply(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length).decode() if length else ''
        type(self).seen.append((self.command, self.path, dict(self.headers), body))
        status, text = type(self).script.pop(0) if type(self).script else (200, '{}')
        data = text.encode()
        self.send_response(status)
        self.send_header('Content-Type', 'text/html;charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _reply


@pytest.fixture
def server():
    _Handler.script = []
    _Handler.seen = []
    httpd = HTTPServer(('127.0.0.1', 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _client(httpd, **kw):
    kw.setdefault('retry', RetryPolicy(retries=2, sleep=Sleeper()))
    return HTTPClient('http://127.0.0.1:%d' % httpd.server_address[1], **kw)


def test_json_labelled_text_html_is_parsed_and_basic_auth_sent(server):
    _Handler.script = [(200, '{"DOCUMENT_POOL":{}}')]
    resp = _client(server, username='oneadmin', password='pw').request('GET', '/service')
    assert resp.json() == {'DOCUMENT_POOL': {}}
    method, path, headers, dummy = _Handler.seen[0]
    assert headers['Authorization'] == 'Basic ' + base64.b64encode(b'oneadmin:pw').decode()


def test_plain_text_errors_are_mapped(server):
    _Handler.script = [(401, 'Invalid credentials')]
    with pytest.raises(AuthenticationError) as info:
        _client(server, username='oneadmin', password='bad').request('GET', '/service')
    assert info.value.message == 'Invalid credentials' and info.value.status == 401
    assert len(_Handler.seen) == 1


def test_503_is_retried_then_succeeds(server):
    _Handler.script = [(503, 'busy'), (200, '{"a": 1}')]
    assert _client(server).request('GET', '/x').json() == {'a': 1}
    assert len(_Handler.seen) == 2


def test_500_state_error_is_not_retried(server):
    _Handler.script = [(500, 'Service cannot be scaled in state: COOLDOWN')]
    with pytest.raises(ServerError) as info:
        _client(server).request('POST', '/service/1/scale', body={'role_name': 'a', 'cardinality': 2, 'force': False})
    assert 'COOLDOWN' in info.value.message
    method, path, headers, body = _Handler.seen[0]
    assert json.loads(body) == {'role_name': 'a', 'cardinality': 2, 'force': False}
    assert headers['Content-Type'] == 'application/json'
    assert len(_Handler.seen) == 1


def test_text_body_and_query(server):
    _Handler.script = [(200, '')]
    resp = _client(server).request('PUT', '/vm', body='A=1\nB=2', query={'type': 2}, content_type='text/plain')
    assert resp.json() is None
    method, path, headers, body = _Handler.seen[0]
    assert (method, path, body, headers['Content-Type']) == ('PUT', '/vm?type=2', 'A=1\nB=2', 'text/plain')


def test_connection_refused_is_retried_then_raised():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    sleeper = Sleeper()
    client = HTTPClient('http://127.0.0.1:%d' % port, retry=RetryPolicy(retries=2, sleep=sleeper))
    with pytest.raises(TransportError) as info:
        client.request('GET', '/service')
    assert info.value.retryable and len(sleeper.calls) == 2


def test_tls_options_and_timeout_reach_open_url():
    seen = {}

    class Resp:
        status = 200
        headers = {}

        def read(self):
            return b'{}'

    def opener(url, **kwargs):
        seen.update(kwargs, url=url)
        return Resp()

    import ssl
    HTTPClient('https://one.example:2474/', validate_certs=False, timeout=7,
               opener=opener).request('GET', 'service_template')
    assert seen['url'] == 'https://one.example:2474/service_template'
    assert (seen['validate_certs'], seen['timeout'], seen['method']) == (False, 7, 'GET')
    assert seen['context'].verify_mode == ssl.CERT_NONE
    assert seen['use_netrc'] is False


def test_ssl_context_is_built_once_and_follows_validate_certs():
    import ssl
    client = HTTPClient('https://one.example:2474', validate_certs=False)
    context = client.ssl_context()
    assert context is client.ssl_context()
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname
    strict = HTTPClient('https://one.example:2474').ssl_context()
    assert strict.verify_mode == ssl.CERT_REQUIRED and strict.check_hostname
