# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
name: awx_survey_spec
short_description: The AWX survey of a job template described in extensions/awx/job_templates.yml
version_added: 1.0.0
description:
  - Turns one job template entry of C(extensions/awx/job_templates.yml) into the C(survey_spec) that
    M(awx.awx.job_template) sends to AWX.
  - A question with C(choices_from) gets its choices from the collection's own tables, never from a copy
    in YAML; C(strategies) and C(dp_modes) are the training strategies and differential-privacy modes the
    training rules accept, C(use_cases) the use cases the collection's apps train.
  - A question's default is the playbook's own default (O(defaults)) when that is a plain value (not a
    template, not null, and one of the choices where there are choices); otherwise the question has no default
    and, unanswered, leaves the playbook's default in place.
options:
  _input:
    description: One entry of C(job_templates) (C(name), C(description), C(survey)).
    type: dict
    required: true
  defaults:
    description: The job template playbook's variables with their defaults (its play C(vars)).
    type: dict
    default: {}
author:
  - opennebula.flower contributors (@OpenNebula)
'''

EXAMPLES = r'''
- name: Create a job template with its survey
  awx.awx.job_template:
    name: "{{ flower_awx_job.name }}"
    project: opennebula.flower
    playbook: "{{ flower_awx_job.playbook }}"
    survey_enabled: true
    survey_spec: "{{ flower_awx_job | opennebula.flower.awx_survey_spec(flower_awx_play.vars | default({})) }}"
  vars:
    flower_awx_job: "{{ (lookup('ansible.builtin.file', 'extensions/awx/job_templates.yml') | from_yaml).job_templates[0] }}"
    flower_awx_play: "{{ lookup('ansible.builtin.file', flower_awx_job.playbook) | from_yaml | first }}"
'''

RETURN = r'''
_value:
  description: >-
    The survey spec (C(name), C(description), C(spec)); each question has C(question_name), C(variable), C(type),
    C(required) and, where they apply, C(default), C(choices), C(min) and C(max).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.opennebula.flower.plugins.module_utils._awx_survey import survey_spec


def awx_survey_spec(entry, defaults=None):
    try:
        return survey_spec(entry, defaults)
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule(object):
    def filters(self):
        return {'awx_survey_spec': awx_survey_spec}
