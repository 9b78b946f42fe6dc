"""OneFlow's HTTP API (Sinatra on WEBrick, :2474): Basic auth, JSON bodies labelled
text/html, plain-text errors, 201/204 codes, and Sinatra's 404 page for unknown routes
(including community.general's PUT /service/<id>/role/<name>)."""

import base64
import json
import re

from . import oneflow_schema as schema
from .http_util import SimHandler
from .oneflow_schema import SchemaError
from .oneflow_service import SERVICE, SERVICE_TEMPLATE, FlowError

HTML = "text/html;charset=utf-8"
SECURITY_HEADERS = (("X-Xss-Protection", "1; mode=block"), ("X-Content-Type-Options", "nosniff"),
                    ("X-Frame-Options", "SAMEORIGIN"))
EMPTY_POOL = '{\n  "DOCUMENT_POOL": {\n  }\n}'

SINATRA_404 = """<!DOCTYPE html>
<html>
<head>
  <style type="text/css">
  body { text-align:center;font-family:helvetica,arial;font-size:22px;
    color:#888;margin:20px}
  #c {margin:0 auto;width:500px;text-align:left}
  </style>
</head>
<body>
  <h2>Sinatra doesn\u2019t know this ditty.</h2>
  <img src='%(base)s/__sinatra__/404.png'>
  <div id="c">
    Try this:
    <pre>%(method)s &#x27;%(path)s&#x27; do
  &quot;Hello World&quot;
end
</pre>
  </div>
</body>
</html>
"""


def document_json(doc):
    return {"DOCUMENT": {
        "ID": str(doc.id), "UID": str(doc.uid), "GID": str(doc.gid), "UNAME": doc.uname, "GNAME": doc.gname,
        "NAME": doc.name, "TYPE": str(doc.type),
        "PERMISSIONS": {"OWNER_U": "1", "OWNER_M": "1", "OWNER_A": "0", "GROUP_U": "0", "GROUP_M": "0",
                        "GROUP_A": "0", "OTHER_U": "0", "OTHER_M": "0", "OTHER_A": "0"},
        "TEMPLATE": {"BODY": doc.body}}}


def pool_json(docs):
    if not docs:
        return EMPTY_POOL
    return json.dumps({"DOCUMENT_POOL": {"DOCUMENT": [document_json(d)["DOCUMENT"] for d in docs]}}, indent=2)


class OneFlowHandler(SimHandler):
    api_name = "oneflow"

    def handle_request(self, method, path, query, body):
        flow = self.server.api
        state = flow.state
        state.catch_up()
        with state.lock:
            status, payload = self._route(flow, method, path, body)
        if status == 204:
            return 204, b"", None, ()
        return status, payload, HTML, SECURITY_HEADERS

    def _authenticate(self, users):
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            raise FlowError(401, "A username and password must be provided")
        try:
            session = base64.b64decode(header[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            raise FlowError(401, "Invalid credentials")
        if users.authenticate(session) is None:
            raise FlowError(401, "Invalid credentials")

    def _route(self, flow, method, path, body):
        try:
            self._authenticate(flow.state.users)
            result = self._dispatch_route(flow, method, path.rstrip("/") or "/", body)
        except FlowError as exc:
            return exc.status, exc.message
        except SchemaError as exc:
            return 400, str(exc)
        if result is None:
            return 404, SINATRA_404 % {"base": self.server.url, "method": method.lower(),
                                       "path": path.replace("/", "&#x2F;")}
        return result

    def _dispatch_route(self, flow, method, path, body):
        routes = (
            ("GET", r"/service_template", lambda: (200, pool_json(flow.documents(SERVICE_TEMPLATE)))),
            ("POST", r"/service_template", lambda: (201, _doc(flow.create_template(schema.parse_json(_text(body)))))),
            ("GET", r"/service_template/(\d+)", lambda i: (200, _doc(flow.document(i, SERVICE_TEMPLATE)))),
            ("PUT", r"/service_template/(\d+)", lambda i: (200, _doc(flow.update_template(i, schema.parse_json(_text(body)))))),
            ("DELETE", r"/service_template/(\d+)", lambda i: self._delete_template(flow, i, body)),
            ("POST", r"/service_template/(\d+)/action", lambda i: self._template_action(flow, i, body)),
            ("GET", r"/service", lambda: (200, pool_json(flow.documents(SERVICE)))),
            ("GET", r"/service/(\d+)", lambda i: (200, _doc(flow.document(i, SERVICE)))),
            ("DELETE", r"/service/(\d+)", lambda i: (flow.undeploy(i), (204, ""))[1]),
            ("POST", r"/service/(\d+)/action", lambda i: self._service_action(flow, i, body)),
            ("POST", r"/service/(\d+)/scale", lambda i: self._scale(flow, i, body)),
            ("POST", r"/service/(\d+)/role/(\w+)/action", lambda i, r: self._role_action(flow, i, r, body)),
            ("POST", r"/service_pool/purge_done", lambda: (204, "")),
        )
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                args = [int(g) if g.isdigit() else g for g in match.groups()]
                return handler(*args)
        return None

    @staticmethod
    def _action(body):
        document = schema.parse_json(_text(body) or "{}")
        action = document.get("action") if isinstance(document, dict) else None
        if not isinstance(action, dict) or "perform" not in action:
            raise FlowError(400, "Action is missing the perform key")
        return action["perform"], action.get("params") or {}

    def _delete_template(self, flow, oid, body):
        delete_type = "none"
        if body.strip():
            delete_type = (schema.parse_json(_text(body)) or {}).get("delete_type", "none")
        flow.delete_template(oid, delete_type)
        return 204, ""

    def _template_action(self, flow, oid, body):
        flow.document(oid, SERVICE_TEMPLATE)
        perform, params = self._action(body)
        result = flow.template_action(oid, perform, params)
        return (201, _doc(result)) if result is not None else (204, "")

    def _service_action(self, flow, oid, body):
        flow.document(oid, SERVICE)
        perform, params = self._action(body)
        flow.service_action(oid, perform, params)
        return 204, ""

    def _role_action(self, flow, oid, role, body):
        doc = flow.document(oid, SERVICE)
        perform, _params = self._action(body)
        flow.role_action(doc, role, perform)
        return 204, ""

    def _scale(self, flow, oid, body):
        flow.document(oid, SERVICE)
        text = _text(body)
        try:
            request = json.loads(text)
        except ValueError as exc:
            raise FlowError(500, json.dumps({"message": "Internal server error", "reason": str(exc)}), True)
        if "force" not in request:
            # the real server can fail like this when `force` is left out; clients must send it
            raise FlowError(500, json.dumps({"message": "Internal server error",
                                             "reason": "unexpected token at ''"}), True)
        flow.scale(oid, request.get("role_name"), request.get("cardinality"), bool(request.get("force")))
        return 204, ""


def _doc(doc):
    return json.dumps(document_json(doc), indent=2)


def _text(body):
    return body.decode("utf-8", "replace")
