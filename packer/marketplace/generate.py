"""Writes the OpenNebula marketplace metadata of the appliances from the built images and the CONTEXT schema.

    python packer/marketplace/generate.py [--images build/images] [--out build/marketplace] [--url-base URL]
    python packer/marketplace/generate.py --check     # exit 1 when a YAML file no longer matches its image

Three files in the marketplace appliance format (github.com/OpenNebula/marketplace: one YAML per app), as the
prior system published them: flower-superlink.yaml and flower-supernode.yaml (type IMAGE with a VM template) and
flower-service.yaml (the OneFlow service template, whose roles name the two apps). Sizes, checksums and times
come from the QCOW2 files (images/build-image.sh writes them with build.json, which records the Flower release
they were built with), the user inputs from plugins/module_utils/_appliance_schema.py: nothing is typed by hand,
so nothing can go stale.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from ansible_collections.opennebula.flower.plugins.module_utils import _appliance_schema as schema  # noqa: E402

ROLES = ('superlink', 'supernode')
PUBLISHER = 'OpenNebula Systems'
OPENNEBULA_VERSIONS = '6.10, 7.0, 7.2'
TITLES = {'superlink': 'Flower SuperLink', 'supernode': 'Flower SuperNode'}
SHORT = {
    'superlink': 'Flower SuperLink: coordinates federated learning; TLS and SuperNode authentication by default',
    'supernode': 'Flower SuperNode: trains on the data where it lives and sends only model updates',
}
VM = {'superlink': {'cpu': '1', 'vcpu': '2', 'memory': '2048'}, 'supernode': {'cpu': '1', 'vcpu': '2', 'memory': '4096'}}
# What the appliances need from OpenNebula besides their own variables (as playbooks/register.yml sets).
CONTEXT_BASE = {
    'network': 'YES',
    'token': 'YES',
    'report_ready': 'YES',
    'ready_script_path': '/usr/local/sbin/opennebula-flower-ready',
    'ssh_public_key': '$USER[SSH_PUBLIC_KEY]',
}


def image_facts(path):
    """Actual and virtual size, md5 and sha256 of a disk image, read from the file itself."""
    info = json.loads(subprocess.run(['qemu-img', 'info', '--output=json', path], capture_output=True, text=True,
                                     check=True).stdout)
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            md5.update(block)
            sha256.update(block)
    return {
        'format': info['format'],
        'virtual_size': info['virtual-size'],
        'file_size': os.path.getsize(path),
        'md5': md5.hexdigest(),
        'sha256': sha256.hexdigest(),
        'mtime': int(os.path.getmtime(path)),
    }


def image_os(path):
    """(os-id, os-release) of an image from the /etc/os-release that its build fetched (packer/appliance.yml)."""
    if not os.path.isfile(path):
        raise SystemExit('generate: %s is missing: rebuild the image (make images), its build records its OS there'
                         % path)
    fields = {}
    with open(path) as handle:
        for line in handle:
            key, sep, value = line.strip().partition('=')
            if sep:
                fields[key] = value.strip('"\'')
    names = {'debian': 'Debian', 'ubuntu': 'Ubuntu'}
    return names.get(fields.get('ID'), fields.get('ID', '').capitalize()), fields.get('VERSION_ID', '')


def load_build(images_dir, role):
    directory = os.path.join(images_dir, role)
    path = os.path.join(directory, 'flower-%s.qcow2' % role)
    if not os.path.isfile(path):
        raise SystemExit('generate: %s is missing; build it first (make images)' % path)
    build = {}
    if os.path.isfile(os.path.join(directory, 'build.json')):
        with open(os.path.join(directory, 'build.json')) as handle:
            build = json.load(handle)
    if not build.get('flower_version'):
        raise SystemExit('generate: %s records no flower_version: rebuild the image (make images)'
                         % os.path.join(directory, 'build.json'))
    facts = image_facts(path)
    facts.update(path=path, frameworks=build.get('frameworks') or [], build_seconds=build.get('build_seconds'),
                 flower_version=build['flower_version'])
    facts['os_id'], facts['os_release'] = image_os(os.path.join(directory, 'packer-os-release'))
    return facts


def vm_app(role, facts, version, url_base):
    file_name = 'flower-%s-%s.qcow2' % (role, version)
    user_inputs = dict((k.lower(), v) for k, v in sorted(schema.user_inputs(role).items()))
    context = dict(CONTEXT_BASE)
    context.update((k.lower(), v) for k, v in sorted(schema.context_references(role).items()))
    description = [
        '%s %s appliance built from the opennebula.flower Ansible collection (appliance role).' % (TITLES[role], version),
        '',
        'It configures itself at every boot from its CONTEXT variables (validated, every error at once; see '
        'docs/appliance-context.md) and publishes and discovers through OneGate (docs/appliance.md). Nothing is '
        'downloaded at boot.',
    ]
    description += ['', 'Frameworks in the image: %s (ONEAPP_FL_FRAMEWORK picks one at boot).'
                    % (', '.join(facts['frameworks']) or 'none besides Flower')]
    tags = ['flower', 'federated-learning', role] + list(facts['frameworks'])
    return {
        'name': '%s %s' % (TITLES[role], version),
        'version': '%s-%s' % (version, facts['sha256'][:8]),
        'publisher': PUBLISHER,
        'description': '\n'.join(description),
        'short_description': SHORT[role],
        'tags': tags,
        'format': facts['format'],
        'creation_time': facts['mtime'],
        'os-id': facts['os_id'],
        'os-release': facts['os_release'],
        'os-arch': 'x86_64',
        'hypervisor': 'KVM',
        'opennebula_version': OPENNEBULA_VERSIONS,
        'opennebula_template': dict(VM[role], context=context, user_inputs=user_inputs,
                                    inputs_order=','.join(k.upper() for k in user_inputs)),
        'logo': 'flower.png',
        'images': [{
            'name': 'flower_%s' % role,
            'url': url_base.rstrip('/') + '/' + file_name,
            'type': 'OS',
            'dev_prefix': 'vd',
            'driver': 'qcow2',
            'size': facts['virtual_size'],
            'checksum': {'md5': facts['md5'], 'sha256': facts['sha256']},
        }],
    }


def service_app(apps, version, max_supernodes=10):
    template = {
        'name': 'Service Flower FL',
        'description': 'Flower federated learning: one SuperLink, SuperNodes that enroll themselves',
        'deployment': 'none',  # both roles boot together (playbooks/register.yml says why)
        'ready_status_gate': True,
        'roles': [
            {'name': 'superlink', 'type': 'vm', 'template_id': 0, 'cardinality': 1, 'min_vms': 1, 'max_vms': 1},
            {'name': 'supernode', 'type': 'vm', 'template_id': 1, 'cardinality': 2,
             'min_vms': 1, 'max_vms': max_supernodes,
             'template_contents': {'CONTEXT': {'ONEAPP_FL_NUM_PARTITIONS': str(max_supernodes)}}},
        ],
    }
    return {
        'name': 'Service Flower FL',
        'version': '%s-%s' % (version, hashlib.sha256((apps['superlink']['version'] + apps['supernode']['version'])
                                                      .encode()).hexdigest()[:8]),
        'publisher': PUBLISHER,
        'description': 'A Flower federation as a OneFlow service: the SuperLink and the SuperNodes boot together; '
                       'the SuperNodes discover the SuperLink, trust its CA and enroll their keys through OneGate. '
                       'The service is RUNNING once every VM reported READY (ready_status_gate).',
        'short_description': 'Flower federated learning service (SuperLink + SuperNodes)',
        'tags': ['flower', 'federated-learning', 'service'],
        'format': 'qcow2',
        'creation_time': max(apps[r]['creation_time'] for r in ROLES),
        'os-id': apps['superlink']['os-id'],
        'os-release': apps['superlink']['os-release'],
        'os-arch': 'x86_64',
        'hypervisor': 'KVM',
        'opennebula_version': OPENNEBULA_VERSIONS,
        'opennebula_template': json.dumps(template, sort_keys=True),
        'roles': dict((r, apps[r]['name']) for r in ROLES),
        'logo': 'flower.png',
    }


def render(images_dir, url_base):
    builds = dict((role, load_build(images_dir, role)) for role in ROLES)
    version = builds['superlink']['flower_version']
    if builds['supernode']['flower_version'] != version:
        raise SystemExit('generate: the SuperLink image runs Flower %s, the SuperNode image %s: one service needs one '
                         'release (build both with the same)' % (version, builds['supernode']['flower_version']))
    apps = dict((role, vm_app(role, builds[role], version, url_base)) for role in ROLES)
    documents = dict(('flower-%s.yaml' % role, apps[role]) for role in ROLES)
    documents['flower-service.yaml'] = service_app(apps, version)
    return dict((name, '---\n' + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=110))
                for name, doc in documents.items())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', default=os.path.join(ROOT, 'build', 'images'))
    parser.add_argument('--out', default=os.path.join(ROOT, 'build', 'marketplace'))
    parser.add_argument('--url-base', default='https://marketplace.example.org/flower',
                        help='where the QCOW2 files are published')
    parser.add_argument('--check', action='store_true', help='exit 1 when a file in --out is not current')
    args = parser.parse_args(argv)
    files = render(args.images, args.url_base)
    if args.check:
        stale = []
        for name, text in sorted(files.items()):
            path = os.path.join(args.out, name)
            if not os.path.isfile(path) or open(path).read() != text:
                stale.append(path)
        if stale:
            print('stale marketplace metadata (run packer/marketplace/generate.py): %s' % ', '.join(stale))
            return 1
        return 0
    os.makedirs(args.out, exist_ok=True)
    for name, text in sorted(files.items()):
        with open(os.path.join(args.out, name), 'w') as handle:
            handle.write(text)
        print(os.path.join(args.out, name))
    return 0


if __name__ == '__main__':
    sys.exit(main())
