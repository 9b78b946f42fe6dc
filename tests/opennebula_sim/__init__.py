"""A faithful OpenNebula test double: oned XML-RPC, OneFlow and OneGate in one process.

    from tests.opennebula_sim import Simulator
    with Simulator(one_version="7.4.0") as sim:
        sim.xmlrpc_url, sim.oneflow_url, sim.onegate_url, sim.session
        sim.clock.advance(5)

See server.Simulator for the options and README.md for what is emulated.
"""

from .clock import SimClock
from .server import Simulator, Zone
from .state import Timings
from .template_syntax import Template, TemplateSyntaxError, parse
from .onegate_token import onegate_token

__all__ = ["Simulator", "Zone", "SimClock", "Timings", "Template", "TemplateSyntaxError", "parse", "onegate_token"]
