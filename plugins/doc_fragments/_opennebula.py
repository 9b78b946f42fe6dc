# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):

    # Connection options of the modules that talk to oned (XML-RPC) and OneFlow (REST).
    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - URL of the oned XML-RPC endpoint, for example C(https://frontend:2633/RPC2).
      - If not set, the environment variable E(ONE_URL) (or E(ONE_XMLRPC)) is used.
      - If neither is set, it is derived from O(oneflow_url) (same host, port 2633, path C(/RPC2)).
    type: str
  api_username:
    description:
      - OpenNebula user name.
      - If not set, E(ONE_USERNAME) or E(ONEFLOW_USERNAME) is used, then the first line of the file named by
        E(ONE_AUTH) (default C(~/.one/one_auth)), which holds C(user:password).
    type: str
  api_password:
    description:
      - Password or login token of O(api_username).
      - If not set, E(ONE_PASSWORD) or E(ONEFLOW_PASSWORD) is used, then the E(ONE_AUTH) file.
    type: str
  oneflow_url:
    description:
      - URL of the OneFlow server, for example C(https://frontend:2474).
      - If not set, E(ONEFLOW_URL) is used; if that is not set either, it is derived from O(api_url)
        (same host, port 2474).
    type: str
  validate_certs:
    description:
      - Verify the TLS certificates of oned and OneFlow. Set to V(false) only for self-signed test setups;
        prefer O(ca_path).
      - If not set, E(ONE_VALIDATE_CERTS) is used (as by the C(opennebula.flower.oneflow) inventory).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificates that sign the oned and OneFlow certificates.
      - If not set, E(ONE_CA_PATH) is used.
    type: path
  api_timeout:
    description:
      - Timeout of each API request, in seconds. Connection failures and 502/503/504 answers are retried
        with capped exponential backoff and jitter; other errors are not.
    type: int
    default: 30
  api_retries:
    description:
      - How many times a request that failed with a retryable error (connection refused, timeout on a read,
        HTTP 502/503/504) is repeated. Delays double from about one second up to thirty, with jitter.
    type: int
    default: 3
requirements:
  - pyone 7.3.x (oned's Python bindings; calls to oned go through its XML-RPC transport) on the host the
    module runs on
'''

    # Options of the modules that run inside a VM and talk to OneGate.
    ONEGATE = r'''
options:
  onegate_endpoint:
    description:
      - OneGate URL. Read from E(ONEGATE_ENDPOINT) in O(one_env_path) when not set.
    type: str
  vm_id:
    description:
      - ID of the calling VM (the X-ONEGATE-VMID header). Read from E(VMID) in O(one_env_path) when not set.
    type: int
  token:
    description:
      - The VM's OneGate token (C(token.txt)). Read from E(TOKENTXT) in O(one_env_path) when not set.
    type: str
  one_env_path:
    description:
      - The environment file the OpenNebula context scripts write inside the VM.
    type: path
    default: /var/run/one-context/one_env
  validate_certs:
    description:
      - Verify the OneGate TLS certificate when the endpoint is HTTPS.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file with the CA certificates that sign the OneGate certificate.
    type: path
  api_timeout:
    description:
      - Timeout of each OneGate request, in seconds.
    type: int
    default: 30
  retries:
    description:
      - How often a failed OneGate request is repeated, after 1, 2, 4, ... (at most 30) seconds. OneGate answers
        HTTP 500 also when it cannot reach oned, so 500 is retried too. Each retry is reported as a warning.
    type: int
    default: 3
'''

    # Options of the modules that wait for OpenNebula objects to settle.
    WAIT = r'''
options:
  wait:
    description:
      - Wait until the object reaches its target state, failing fast on failure states.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait, in seconds.
    type: int
    default: 600
'''

    # Polling, shared by every module that waits (with WAIT, or with a wait of its own).
    POLLING = r'''
options:
  poll_interval:
    description:
      - First delay between polls, in seconds. Later delays grow by half each time (with jitter) up to
        O(max_poll_interval).
    type: float
    default: 2.0
  max_poll_interval:
    description:
      - Longest delay between polls, in seconds.
    type: float
    default: 30.0
'''
