# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The AWX survey of a job template of extensions/awx/job_templates.yml (the awx_survey_spec filter's logic).

Free of Ansible's controller-side packages, so that tests import it without changing how module results carry
warnings in their process."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.module_utils.common.collections import is_string

from ansible_collections.opennebula.flower.plugins.module_utils._training import DP_MODES, STRATEGIES, USE_CASES

CHOICES = {
    'strategies': lambda: list(STRATEGIES),
    'dp_modes': lambda: list(DP_MODES),
    'use_cases': lambda: list(USE_CASES),
}
TYPES = ('text', 'textarea', 'password', 'integer', 'float', 'multiplechoice', 'multiselect')
COPIED = ('question_name', 'question_description', 'variable', 'type', 'min', 'max')


def _default(value, question):
    if value is None or (is_string(value) and '{{' in value):
        return None
    if 'choices' in question and value not in question['choices']:
        return None
    if question['type'] == 'integer':
        return int(value)
    if question['type'] == 'float':
        return float(value)
    return value


def survey_spec(entry, defaults=None):
    if not isinstance(entry, dict) or 'name' not in entry:
        raise ValueError('awx_survey_spec: the input must be a job template entry (a dict with a name), got %r'
                         % (entry,))
    defaults = defaults or {}
    spec = []
    for question in entry.get('survey', []):
        if question.get('type') not in TYPES:
            raise ValueError('awx_survey_spec: %s: question %s has type %r; allowed: %s'
                             % (entry['name'], question.get('variable'), question.get('type'), ', '.join(TYPES)))
        result = dict((key, question[key]) for key in COPIED if key in question)
        result['question_description'] = question.get('question_description', '')
        result['required'] = bool(question.get('required', False))
        if 'choices_from' in question:
            if question['choices_from'] not in CHOICES:
                raise ValueError('awx_survey_spec: %s: question %s has choices_from=%r; allowed: %s'
                                 % (entry['name'], question['variable'], question['choices_from'],
                                    ', '.join(sorted(CHOICES))))
            result['choices'] = CHOICES[question['choices_from']]()
        default = _default(defaults.get(question['variable']), result)
        if default is not None:
            result['default'] = default
        spec.append(result)
    return {'name': entry['name'], 'description': entry.get('description', ''), 'spec': spec}
