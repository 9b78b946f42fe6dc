"""The simulator process: one clock, shared users, and per zone an oned state with its
three listeners (XML-RPC, OneFlow, OneGate) on 127.0.0.1 ephemeral ports."""

import secrets
import threading

from .clock import Scheduler, SimClock
from .faults import Faults
from .http_util import SimHandler, SimHTTPServer
from .oneflow_api import OneFlowHandler
from .oneflow_service import SERVICE, OneFlow
from .onegate_api import OneGateHandler
from .state import OneState, Timings, Users
from .vm_context import write_files
from .xmlrpc_api import XmlRpcApi


class XmlRpcHandler(SimHandler):
    api_name = "xmlrpc"

    def handle_request(self, method, path, query, body):
        if method != "POST" or path.rstrip("/") != "/RPC2":
            return 404, "Not Found", "text/plain", ()
        return 200, self.server.api.handle(body), "text/xml; charset=utf-8", ()


class Zone:
    """One OpenNebula zone: its own VMs, images, templates, OneFlow and OneGate."""

    def __init__(self, sim, zone_id, name):
        self.sim = sim
        self.id = zone_id
        self.name = name
        self.state = OneState(sim.clock, Scheduler(sim.clock), sim.users, sim.faults, sim.timings, zone_id, name)
        self.state.version = sim.one_version
        self.state.zone_endpoints = sim.zone_endpoints
        self.flow = OneFlow(self.state, "6" if sim.one_version.startswith("6.") else "7")
        self.xmlrpc = XmlRpcApi(self.state)
        self._servers = []
        self._threads = []

    def start(self):
        for handler, api in ((XmlRpcHandler, self.xmlrpc), (OneFlowHandler, self.flow), (OneGateHandler, self.flow)):
            server = SimHTTPServer(handler, api, self.sim._before_request, self.sim.bind_host)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name="one-sim-%s-%d" % (handler.api_name, self.id), daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        self.state.onegate_endpoint = self.onegate_url
        self.sim.zone_endpoints[self.id] = (self.name, self.xmlrpc_url)

    def stop(self):
        # shutdown() waits for a poll interval; stop the three listeners concurrently
        stoppers = [threading.Thread(target=server.shutdown) for server in self._servers]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join(timeout=5)
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    @property
    def xmlrpc_url(self):
        return self._servers[0].url + "/RPC2"

    @property
    def oneflow_url(self):
        return self._servers[1].url

    @property
    def onegate_url(self):
        return self._servers[2].url


class Simulator:
    """An OpenNebula frontend (oned XML-RPC + OneFlow + OneGate) for tests.

    one_version: "7.4.0" (default) or a 6.x string, which switches OneFlow to the 6.x schema.
    seed_infrastructure: create host "localhost" and network "fl-net" (10.10.0.10/24, 100
        leases) so VMs run without setup; False starts as bare as a fresh install.
    bind_host: where the listeners listen, e.g. a docker network's gateway so that containers
        backing VMs reach OneGate (ONEGATE_ENDPOINT in their context uses it too).
    network: the seeded network's address range, {"ip", "size", "address", "mask", "gateway"}.
    simulate_guest_ready: a RUNNING VM whose CONTEXT has REPORT_READY=YES and TOKEN=YES
        reports READY=YES by itself (as one-context would) unless on_vm_boot hooks exist,
        in which case the backing guest is expected to report.
    """

    def __init__(self, one_version="7.4.0", seed_infrastructure=True, simulate_guest_ready=True,
                 timings=None, start_time=None, username="oneadmin", password=None, cooldown=None,
                 bind_host="127.0.0.1", network=None):
        self.one_version = one_version
        self.bind_host = bind_host
        self.network = network
        self.clock = SimClock(start_time)
        self.timings = timings or Timings()
        if cooldown is not None:
            self.timings.default_cooldown = cooldown
        self.username = username
        self.password = password or secrets.token_hex(12)
        self.users = Users(self.username, self.password)
        self.faults = Faults()
        self.zone_endpoints = {}
        self._seconds_per_request = 0.0
        self._seed = seed_infrastructure
        self.zones = [Zone(self, 0, "OpenNebula")]
        self.zones[0].state.simulate_guest_ready = simulate_guest_ready
        self.clock.on_advance(self._catch_up_all)
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        for zone in self.zones:
            zone.start()
            if self._seed:
                zone.state.seed_infrastructure(self.network)
        self._started = True
        return self

    def stop(self):
        stoppers = [threading.Thread(target=zone.stop) for zone in self.zones]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        self._started = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

    def add_zone(self, name):
        """A further zone with its own endpoints; users are shared (federated), VMs,
        images, templates and services are not. Listed by one.zonepool.info everywhere."""
        zone = Zone(self, len(self.zones), name)
        zone.state.simulate_guest_ready = self.state.simulate_guest_ready
        self.zones.append(zone)
        if self._started:
            zone.start()
            if self._seed:
                zone.state.seed_infrastructure(self.network)
        return zone

    # -- endpoints and credentials --------------------------------------------------------
    @property
    def state(self):
        return self.zones[0].state

    @property
    def flow(self):
        return self.zones[0].flow

    @property
    def xmlrpc_url(self):
        return self.zones[0].xmlrpc_url

    @property
    def oneflow_url(self):
        return self.zones[0].oneflow_url

    @property
    def onegate_url(self):
        return self.zones[0].onegate_url

    @property
    def session(self):
        return "%s:%s" % (self.username, self.password)

    def endpoints(self):
        return {"xmlrpc_url": self.xmlrpc_url, "oneflow_url": self.oneflow_url, "onegate_url": self.onegate_url,
                "username": self.username, "password": self.password, "session": self.session,
                "one_version": self.one_version,
                "zones": [{"id": z.id, "name": z.name, "xmlrpc_url": z.xmlrpc_url, "oneflow_url": z.oneflow_url,
                           "onegate_url": z.onegate_url} for z in self.zones]}

    # -- time ------------------------------------------------------------------------------
    def auto_advance(self, seconds_per_request):
        """Every API request first moves the clock this much, so pollers see progress."""
        self._seconds_per_request = float(seconds_per_request)

    def advance(self, seconds):
        self.clock.advance(seconds)

    def advance_until(self, predicate, timeout=3600, step=1.0):
        """Move the clock in steps until predicate() is true; returns the simulated seconds
        it took. Raises TimeoutError after `timeout` simulated seconds."""
        waited = 0.0
        while not predicate():
            if waited >= timeout:
                raise TimeoutError("condition not reached after %s simulated seconds" % timeout)
            self.clock.advance(step)
            waited += step
        return waited

    def _catch_up_all(self):
        for zone in self.zones:
            zone.state.catch_up()

    def _before_request(self, api_name):
        fault = self.faults.take("http_error", lambda f: f.get("api", api_name) == api_name)
        if fault is not None:
            return fault.get("status", 503), fault.get("body", "Service Unavailable")
        if self._seconds_per_request:
            self.clock.advance(self._seconds_per_request)
        return None

    # -- guests -------------------------------------------------------------------------------
    def vm_context(self, vm_id, zone=0):
        state = self.zones[zone].state
        state.catch_up()
        with state.lock:
            return state.vm_context(vm_id)

    def write_context(self, vm_id, directory, zone=0):
        return write_files(self.vm_context(vm_id, zone), directory)

    def on_vm_boot(self, callback):
        """callback(vm_id, context) when a VM reaches ACTIVE/RUNNING, called outside the
        simulator's lock from whichever thread moved the clock."""
        for zone in self.zones:
            zone.state.vm_running_hooks.append(callback)

    def inject(self, fault, **kw):
        """Arm a fault (see faults.py): "vm_boot_failure", "image_error", "http_error"."""
        self.faults.arm(fault, **kw)

    # -- read helpers for tests -------------------------------------------------------------
    def vm(self, vm_id, zone=0):
        state = self.zones[zone].state
        state.catch_up()
        with state.lock:
            return state.get("vm", vm_id)

    def service(self, service_id, zone=0):
        """The service body (a copy), or None once the document is gone."""
        import copy
        state = self.zones[zone].state
        state.catch_up()
        with state.lock:
            doc = state.pools["document"].get(service_id)
            return copy.deepcopy(doc.body) if doc is not None and doc.type == SERVICE else None
