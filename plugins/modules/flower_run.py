#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flower_run
short_description: Run a Flower App on a SuperLink and wait for it
version_added: 1.0.0
description:
  - Builds the Flower App in O(app), submits it to a SuperLink with C(flwr run) and, with O(wait=true), polls
    the run's status until it is C(finished:*), backing off between polls.
  - Fails on C(finished:failed) or C(finished:stopped) and on timeout, with the tail of the run's log.
  - With O(output_dir), also fails when the run's C(metrics.json) records a round whose train or evaluate step got
    fewer results than the strategy's minimum (the collection's apps record C(replies) per step and stop the run
    there), naming the round and each failing node's error, e.g. a ClientApp's C(FileNotFoundError).
  - With O(record), a run is remembered. While the app's files, O(run_config) and O(superlink) stay the same and
    the SuperLink still reports the recorded run as C(finished:completed), the module changes nothing and returns
    that run; O(force=true) trains again regardless.
author:
  - opennebula.flower contributors (@OpenNebula)
extends_documentation_fragment:
  - opennebula.flower._flower_superlink
options:
  app:
    description:
      - Directory of the Flower App (the one holding its C(pyproject.toml)).
    type: path
    required: true
  run_config:
    description:
      - Run config overrides, key to value; values keep their types (int, float, bool, str).
    type: dict
    default: {}
  wait:
    description:
      - Wait until the run has finished.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the run to finish.
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between the first status polls; later polls back off to four times this.
    type: float
    default: 2.0
  output_dir:
    description:
      - Directory the app writes C(<run id>/metrics.json) under (its run config C(output-dir); the collection's
        apps default to C($FLWR_HOME/runs) of the SuperLink). Read after the run to check that every round got at
        least the minimum of results; unset skips that check.
    type: path
  record:
    description:
      - JSON file remembering the last run submitted from here, which makes the module idempotent.
    type: path
  force:
    description:
      - Submit a new run even when O(record) shows the same run completed.
    type: bool
    default: false
attributes:
  check_mode:
    description: Predicts whether a run would be submitted, and submits nothing.
    support: full
  diff_mode:
    description: Shows the recorded run before and after.
    support: full
  idempotent:
    description: Idempotent with O(record) and O(force=false); every call submits a new run otherwise.
    support: partial
"""

EXAMPLES = r"""
- name: Train the digits demo for 3 rounds
  opennebula.flower.flower_run:
    app: /var/lib/flower/apps/digits
    superlink: 127.0.0.1:9092
    root_certificates: /etc/flower/superlink/tls/ca.crt
    flwr: /opt/flower/venv/bin/flwr
    run_config:
      num-server-rounds: 3
    record: /var/lib/flower/superlink/last-run.json
    output_dir: /var/lib/flower/superlink/runs
  register: training

- name: Show the run
  ansible.builtin.debug:
    msg: "Run {{ training.run_id }} {{ training.status }} in {{ training.elapsed }} s"
"""

RETURN = r"""
run_id:
  description: The run's id; null in check mode when a run would be submitted.
  type: int
  returned: always
  sample: 5341658267093349778
status:
  description: The run's status (C(finished:completed) once waited for; C(pending) or C(running) otherwise).
  type: str
  returned: always
  sample: finished:completed
status_details:
  description: Flower's details about the status.
  type: str
  returned: when a run exists
  sample: N/A
fab_hash:
  description: SHA-256 of the Flower App bundle that ran.
  type: str
  returned: when a run exists
  sample: d6f554b0a94eb7264f0413ab810c1c237ad6053d1fc6587a0e302a3c2a3007ce
elapsed:
  description: Seconds the run took (or has taken so far), as the SuperLink measured it.
  type: float
  returned: when a run exists
  sample: 46.8
network_traffic:
  description: Bytes the run moved between the SuperLink and the SuperNodes.
  type: dict
  returned: when a run exists
  sample: {"inbound-bytes": 50271, "outbound-bytes": 92784, "total-bytes": 143055}
compute_time:
  description: Seconds of ServerApp and ClientApp compute.
  type: dict
  returned: when a run exists
  sample: {"serverapp-seconds": 46.8, "clientapp-seconds": 17.2, "total-seconds": 64.0}
reused:
  description: True when the recorded run was returned instead of submitting a new one.
  type: bool
  returned: always
  sample: false
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.opennebula.flower.plugins.module_utils._flwr import FlwrError, cli_for, superlink_argument_spec
from ansible_collections.opennebula.flower.plugins.module_utils._flwr_run import (
    RunError, load_record, log_tail, previous_run, run_fingerprint, save_record, summarize, wait_for_run)


def main():
    argument_spec = superlink_argument_spec()
    argument_spec.update(
        app=dict(type="path", required=True),
        run_config=dict(type="dict", default={}),
        wait=dict(type="bool", default=True),
        timeout=dict(type="int", default=1800),
        poll_interval=dict(type="float", default=2.0),
        output_dir=dict(type="path"),
        record=dict(type="path"),
        force=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not os.path.isfile(os.path.join(params["app"], "pyproject.toml")):
        module.fail_json(msg="app: %s is not a Flower App directory (no pyproject.toml)" % params["app"])

    fingerprint = run_fingerprint(params["app"], params["run_config"], params["superlink"])
    record = load_record(params["record"])
    before = dict(run_id=record.get("run_id"), fingerprint=record.get("fingerprint")) if record else {}
    try:
        with cli_for(module) as cli:
            run = None if params["force"] else previous_run(cli, record, fingerprint)
            if run is not None:
                module.exit_json(changed=False, reused=True, **summarize(run))
            if module.check_mode:
                predicted = dict(changed=True, reused=False, run_id=None, status=None)
                if module._diff:
                    predicted["diff"] = dict(before=before, after=dict(run_id=None, fingerprint=fingerprint))
                module.exit_json(**predicted)
            submitted = cli.submit_run(params["app"], params["run_config"])
            run_id = int(submitted["run-id"])
            if params["wait"]:
                run = wait_for_run(cli, run_id, params["timeout"], params["poll_interval"],
                                   output_dir=params["output_dir"])
            else:
                run = cli.get_run(run_id)
    except RunError as err:
        result = summarize(err.run) if err.run else {}
        module.fail_json(msg="%s\n--- run log (tail) ---\n%s" % (err, log_tail(err.log)), **result)
    except FlwrError as err:
        module.fail_json(msg="flwr failed against %s: %s" % (params["superlink"], err.message))

    result = summarize(run)
    if params["record"]:
        save_record(params["record"], dict(fingerprint=fingerprint, run_id=result["run_id"]), module.atomic_move)
    if module._diff:
        result["diff"] = dict(before=before, after=dict(run_id=result["run_id"], fingerprint=fingerprint))
    module.exit_json(changed=True, reused=False, **result)


if __name__ == "__main__":
    main()
