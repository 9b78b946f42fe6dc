# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""HTTP transport shared by the OneFlow and OneGate clients.

Owns authentication (HTTP Basic or extra headers), TLS verification (``validate_certs``, ``ca_path``),
timeouts, error mapping and retries with capped exponential backoff and jitter. Only the standard
library and ``ansible.module_utils.urls.open_url`` are used, so nothing has to be installed.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import random
import socket
import ssl
import time

from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from ansible.module_utils.urls import Request, make_context

# 500 is deliberately absent: OneFlow answers state errors ("Service cannot be scaled in state: X") with
# 500 and repeating them cannot help.
RETRYABLE_STATUSES = frozenset([429, 502, 503, 504])
# Statuses that prove the request was not processed, so even a non-idempotent POST may be repeated.
RETRYABLE_STATUSES_UNSAFE = frozenset([429, 503])
IDEMPOTENT_METHODS = frozenset(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])


class APIError(Exception):
    """An error talking to an OpenNebula API. ``status`` is the HTTP status, None for transport errors."""

    def __init__(self, message, status=None, body=None, url=None, method=None, retryable=False):
        super(APIError, self).__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.url = url
        self.method = method
        self.retryable = retryable

    def to_dict(self):
        return {'message': self.message, 'status': self.status, 'url': self.url, 'method': self.method,
                'body': self.body}


class TransportError(APIError):
    """Connection refused or reset, timeout, DNS failure, TLS failure."""


class AuthenticationError(APIError):
    """401 (and 403 from OneFlow, which inverts the oned codes on purpose)."""


class ForbiddenError(APIError):
    """403: restricted attribute or action (OneGate)."""


class NotFoundError(APIError):
    """404."""


class BadRequestError(APIError):
    """400: schema or validation error."""


class ServerError(APIError):
    """5xx: OneFlow state errors, oned errors, internal errors."""


_STATUS_CLASSES = {400: BadRequestError, 401: AuthenticationError, 403: ForbiddenError, 404: NotFoundError}


def error_message(status, body):
    """Turn an OpenNebula error body into a readable message.

    OneFlow errors are plain text labelled text/html, uncaught exceptions are
    ``{"message": ..., "reason": ...}``, and unknown routes are Sinatra HTML pages.
    """
    text = (body or '').strip()
    if text.startswith('{'):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            err = data.get('error', data)
            if isinstance(err, dict) and 'message' in err:
                reason = err.get('reason')
                return '%s: %s' % (err['message'], reason) if reason else str(err['message'])
    lowered = text[:200].lower()
    if lowered.startswith('<!doctype') or lowered.startswith('<html'):
        return 'HTTP %s: the server has no such route' % status
    if not text:
        return 'HTTP %s' % status
    return text


def map_http_error(status, body, url=None, method=None):
    """Build the APIError subclass that matches an HTTP status."""
    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIError
    retryable = status in RETRYABLE_STATUSES
    if method is not None and method.upper() not in IDEMPOTENT_METHODS:
        retryable = status in RETRYABLE_STATUSES_UNSAFE
    return cls(error_message(status, body), status=status, body=body, url=url, method=method, retryable=retryable)


def map_transport_error(exc, url=None, method=None):
    """Map a urllib/socket exception to TransportError; decide whether repeating is safe."""
    reason = getattr(exc, 'reason', exc)
    if isinstance(reason, (ssl.SSLError, ssl.CertificateError)):
        return TransportError('TLS error talking to %s: %s' % (url, reason), url=url, method=method, retryable=False)
    refused = isinstance(reason, ConnectionRefusedError)
    idempotent = method is None or method.upper() in IDEMPOTENT_METHODS
    # A refused connection never reached the server; a timeout or reset may have, so only idempotent
    # requests are repeated then.
    retryable = refused or (idempotent and isinstance(reason, (socket.timeout, OSError)))
    return TransportError('Cannot reach %s: %s' % (url, reason), url=url, method=method, retryable=retryable)


def backoff_delay(attempt, base=1.0, cap=30.0, rand=random.random):
    """Capped exponential backoff with "equal jitter": a value in [d/2, d], d = min(cap, base * 2**attempt)."""
    ceiling = min(float(cap), float(base) * (2 ** attempt))
    return ceiling / 2.0 + rand() * ceiling / 2.0


class RetryPolicy:
    """How often and how long to retry a retryable error. ``sleep`` and ``rand`` are injectable for tests."""

    def __init__(self, retries=3, base=1.0, cap=30.0, sleep=time.sleep, rand=random.random, also_retry=(),
                 on_retry=None):
        """``also_retry``: statuses retried besides the retryable ones; ``on_retry(error, attempt, delay)`` is
        told before each pause."""
        self.retries = int(retries)
        self.also_retry = frozenset(also_retry)
        self.on_retry = on_retry
        self.base = base
        self.cap = cap
        self.sleep = sleep
        self.rand = rand

    def call(self, func):
        attempt = 0
        while True:
            try:
                return func()
            except APIError as exc:
                if not (exc.retryable or exc.status in self.also_retry) or attempt >= self.retries:
                    raise
                delay = backoff_delay(attempt, self.base, self.cap, self.rand)
                if self.on_retry is not None:
                    self.on_retry(exc, attempt + 1, delay)
                self.sleep(delay)
                attempt += 1


class Response:
    def __init__(self, status, headers, text):
        self.status = status
        self.headers = headers
        self.text = text

    def json(self):
        """Parse the body as JSON whatever the content type says (OneFlow labels JSON text/html)."""
        if not self.text or not self.text.strip():
            return None
        return json.loads(self.text)


def _open(url, method=None, **kwargs):
    return Request().open(method, url, **kwargs)


class HTTPClient:
    """A small REST client: base URL, Basic auth or fixed headers, TLS options, timeout, retries."""

    def __init__(self, base_url, username=None, password=None, headers=None, validate_certs=True, ca_path=None,
                 timeout=30, retry=None, opener=_open):
        self.base_url = base_url.rstrip('/')
        self.username = username
        self.password = password
        self.headers = dict(headers or {})
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy()
        self._open = opener
        self._context = None

    def ssl_context(self):
        """Built once: loading the CA bundle for every request costs tens of milliseconds."""
        if self._context is None:
            if self.base_url.startswith('https://'):
                self._context = make_context(cafile=self.ca_path, validate_certs=self.validate_certs)
            else:
                self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # never used for plain http
        return self._context

    def url(self, path, query=None):
        url = self.base_url + '/' + path.lstrip('/')
        if query:
            url += '?' + urlencode(query)
        return url

    def request(self, method, path, body=None, query=None, content_type=None, expect=None):
        """Send a request and return a Response; raise an APIError for error statuses.

        ``body`` may be a dict/list (sent as JSON) or a string (sent as is).
        """
        url = self.url(path, query)
        headers = dict(self.headers)
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body)
                headers['Content-Type'] = content_type or 'application/json'
            else:
                data = body
                headers['Content-Type'] = content_type or 'text/plain'
            data = data.encode('utf-8')
        return self.retry.call(lambda: self._send(method, url, data, headers))

    def _send(self, method, url, data, headers):
        kwargs = dict(data=data, headers=headers, method=method, timeout=self.timeout,
                      validate_certs=self.validate_certs, ca_path=self.ca_path, follow_redirects='safe',
                      use_netrc=False, http_agent='opennebula.flower', context=self.ssl_context())
        if self.username is not None:
            kwargs.update(url_username=self.username, url_password=self.password or '', force_basic_auth=True)
        try:
            resp = self._open(url, **kwargs)
        except HTTPError as exc:
            try:
                body = exc.read().decode('utf-8', 'replace')
            except Exception:
                body = ''
            raise map_http_error(exc.code, body, url=url, method=method)
        except (URLError, socket.timeout, OSError) as exc:
            raise map_transport_error(exc, url=url, method=method)
        text = resp.read().decode('utf-8', 'replace')
        status = getattr(resp, 'status', None) or resp.getcode()
        return Response(status, dict(resp.headers.items()) if resp.headers else {}, text)
