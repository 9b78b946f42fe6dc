# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How a module reaches a SuperLink's Control API through the flwr CLI.
    DOCUMENTATION = r"""
options:
  superlink:
    description:
      - Control API address of the SuperLink, C(host:port) without a scheme.
      - With Flower 1.42 this is the SuperLink's single HTTP port; with Flower 1.31 the Control API port (9093 by default).
    type: str
    required: true
  root_certificates:
    description:
      - Path of the CA certificate (PEM) that verifies the SuperLink's TLS certificate.
      - Required unless O(insecure=true).
    type: path
  insecure:
    description:
      - Talk to a SuperLink that runs without TLS.
    type: bool
    default: false
  flwr:
    description:
      - Path of the C(flwr) executable, normally the one in the Flower virtualenv of the host.
    type: path
    default: flwr
requirements:
  - flwr (the CLI, same major.minor version as the SuperLink)
"""
