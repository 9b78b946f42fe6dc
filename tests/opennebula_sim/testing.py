"""Small raw clients for tests that talk to the simulator without the collection's code."""

import base64
import http.client
import json
import urllib.parse
import xmlrpc.client


class Response:
    def __init__(self, status, headers, text):
        self.status = status
        self.headers = headers
        self.text = text

    @property
    def content_type(self):
        return self.headers.get("Content-Type")

    def json(self):
        return json.loads(self.text)


def http_request(base_url, method, path, body=None, headers=None):
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        connection.request(method, path, body=body.encode() if isinstance(body, str) else body,
                           headers=headers or {})
        response = connection.getresponse()
        return Response(response.status, dict(response.getheaders()), response.read().decode())
    finally:
        connection.close()


def one(sim, method, *params, session=None, zone=0):
    """Call an oned XML-RPC method; returns the raw response array."""
    proxy = xmlrpc.client.ServerProxy(sim.zones[zone].xmlrpc_url)
    return getattr(proxy, method)(session or sim.session, *params)


def flow(sim, method, path, body=None, auth=True, zone=0):
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(sim.session.encode()).decode()
    return http_request(sim.zones[zone].oneflow_url, method, path, body, headers)


def gate(sim, vm_id, method, path, body=None, content_type=None, token=None, zone=0):
    headers = {"X-ONEGATE-VMID": str(vm_id),
               "X-ONEGATE-TOKEN": token if token is not None else sim.vm(vm_id, zone).token}
    if content_type:
        headers["Content-Type"] = content_type
    return http_request(sim.zones[zone].onegate_url, method, path, body, headers)


def vm_state(sim, vm_id):
    vm = sim.vm(vm_id)
    return vm.state, vm.lcm_state
