# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Private logic of the flower_tls and flower_supernode_key modules.

Not a public API: names may change without notice.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import datetime
import errno
import hashlib
import ipaddress
import os
import re
import traceback

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.opennebula.flower.plugins.module_utils._files import write_file

CA_CERT = 'ca.crt'
CA_KEY = 'ca.key'
SERVER_CERT = 'server.pem'
SERVER_KEY = 'server.key'
TLS_FILES = (CA_KEY, CA_CERT, SERVER_KEY, SERVER_CERT)

# The SuperLink's own SuperExec connects to 127.0.0.1, so these are always in the certificate.
ALWAYS_SANS = ('localhost', '127.0.0.1')
KEY_CURVE = 'secp384r1'
NODE_CURVES = ('secp256r1', 'secp384r1', 'secp521r1')
_DNS_RE = re.compile(r'^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$')
_PEM_CERT_RE = re.compile(br'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', re.DOTALL)
_CLOCK_SKEW = datetime.timedelta(minutes=5)


class TLSError(Exception):
    """A user error; the message names the option at fault."""


# ---------------------------------------------------------------- helpers

def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def to_bytes(data):
    return data.encode('utf-8') if not isinstance(data, bytes) else data


def normalize_sans(names):
    """Return the SAN list to certify: the given names (deduplicated, IPs normalised,
    DNS names lower-cased, optional ``DNS:``/``IP:`` prefixes removed) plus ALWAYS_SANS."""
    result = []
    for raw in list(names or []) + list(ALWAYS_SANS):
        name = raw.strip()
        prefix, sep, rest = name.partition(':')
        if sep and prefix.upper() in ('DNS', 'IP'):
            name = rest.strip()
        try:
            name = str(ipaddress.ip_address(name))
        except ValueError:
            if prefix.upper() == 'IP' and sep:
                raise TLSError('subject_alt_names: %r is not an IP address' % raw)
            if not _DNS_RE.match(name) or len(name) > 253:
                raise TLSError('subject_alt_names: %r is neither an IP address nor a valid DNS name' % raw)
            name = name.lower()
        if name not in result:
            result.append(name)
    return result


def _general_names(names):
    out = []
    for name in names:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def cert_sans(cert):
    """SANs of a certificate as plain strings, in certificate order."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names = [n.lower() for n in ext.get_values_for_type(x509.DNSName)]
    names.extend(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    return names


def fingerprint(cert):
    return ':'.join('%02X' % b for b in bytearray(cert.fingerprint(hashes.SHA256())))


def not_after(cert):
    value = getattr(cert, 'not_valid_after_utc', None)
    return value if value is not None else cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ')


def common_name(name):
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return attrs[0].value if attrs else None


def _spki(key):
    pub = key.public_key() if hasattr(key, 'public_key') else key
    return pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(key, cert):
    return _spki(key) == _spki(cert.public_key())


def public_key_fingerprint(key):
    return 'SHA256:' + hashlib.sha256(_spki(key)).hexdigest()


def is_p384(key):
    return isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == KEY_CURVE


def is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def has_server_auth(cert):
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.SERVER_AUTH in eku


def issued_by(cert, issuer):
    """True when ``cert`` names ``issuer`` as issuer and carries its valid signature."""
    if cert.issuer != issuer.subject:
        return False
    try:
        if hasattr(cert, 'verify_directly_issued_by'):
            cert.verify_directly_issued_by(issuer)
            return True
        pub = issuer.public_key()
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        else:
            pub.verify(cert.signature, cert.tbs_certificate_bytes)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False
    return True


def load_certs(data):
    """All PEM certificates in ``data`` (leaf first), or None when there are none or one is broken."""
    blocks = _PEM_CERT_RE.findall(to_bytes(data or b''))
    try:
        certs = [x509.load_pem_x509_certificate(b) for b in blocks]
    except ValueError:
        return None
    return certs or None


def load_cert(data):
    certs = load_certs(data)
    return certs[0] if certs else None


def load_private_key(data):
    try:
        return serialization.load_pem_private_key(to_bytes(data), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def generate_key(curve=KEY_CURVE):
    return ec.generate_private_key(getattr(ec, curve.upper())())


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _builder(subject, issuer, pub, days):
    now = utcnow()
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(issuer).public_key(pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _CLOCK_SKEW)
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False))


def build_ca(key, cn, days):
    return (_builder(_name(cn), _name(cn), key.public_key(), days)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA384()))


def build_server(key, ca_cert, ca_key, cn, sans, days):
    return (_builder(_name(cn), ca_cert.subject, key.public_key(), days)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(_general_names(sans)), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
            .sign(ca_key, hashes.SHA384()))


def cert_info(certs):
    if not certs:
        return None
    leaf = certs[0]
    info = dict(fingerprint=fingerprint(leaf), subject=leaf.subject.rfc4514_string(),
                issuer=leaf.issuer.rfc4514_string(), not_after=iso(not_after(leaf)))
    if not is_ca(leaf):
        info['subject_alt_names'] = cert_sans(leaf)
    if len(certs) > 1:
        info['chain_length'] = len(certs)
    return info


def key_info(key):
    return None if key is None else dict(public_key_fingerprint=public_key_fingerprint(key))


# ---------------------------------------------------------------- file handling

def set_attributes(module, path, mode, owner=None, group=None):
    """Apply mode/owner/group (owner/group None: leave). Returns (changed, before, after)."""
    diff = {}
    changed = module.set_owner_if_different(path, owner, False, diff)
    changed = module.set_group_if_different(path, group, changed, diff)
    changed = module.set_mode_if_different(path, mode, changed, diff)
    return changed, diff.get('before', {}), diff.get('after', {})


def read_bytes(path):
    """File content, or None when the file does not exist. A file that exists but cannot be read
    is an error: replacing it would rotate a key that is merely unreadable to this user."""
    try:
        with open(path, 'rb') as f:
            return f.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise TLSError('cannot read %s: %s' % (path, exc.strerror))


# ---------------------------------------------------------------- flower_tls

class FlowerTLS(object):
    """Plans and applies the SuperLink's CA and server certificate in one directory.

    Modes: ``generate`` (self-managed CA), ``operator_ca`` (sign with operator_ca_cert/key;
    the CA key is never written to disk) and ``operator`` (install operator_ca_cert/cert/key as given).
    Everything is computed in memory first; only the writes depend on check mode.
    """

    def __init__(self, module):
        self.module = module
        p = self.p = module.params
        self.dir = p['path']
        self.paths = dict((f, os.path.join(self.dir, f)) for f in TLS_FILES)
        if p['operator_cert'] is not None:
            self.mode = 'operator'
        elif p['operator_ca_key'] is not None:
            self.mode = 'operator_ca'
        elif p['operator_ca_cert'] is not None:
            raise TLSError('operator_ca_cert needs either operator_cert and operator_key (install a complete '
                           'certificate set) or operator_ca_key (sign the server certificate with that CA)')
        else:
            self.mode = 'generate'
        for opt in ('valid_days', 'ca_valid_days'):
            if p[opt] <= 0:
                raise TLSError('%s must be a positive number of days' % opt)
        if p['renew_before_days'] < 0:
            raise TLSError('renew_before_days must not be negative')
        self.sans = normalize_sans(p['subject_alt_names'])
        self.cn = p['common_name'] or (self.sans[0] if p['subject_alt_names'] else 'superlink')
        for opt, value in (('common_name', self.cn), ('ca_common_name', p['ca_common_name'])):
            if not 0 < len(value) <= 64:
                raise TLSError('%s must have 1 to 64 characters' % opt)
        self.renew_at = utcnow() + datetime.timedelta(days=p['renew_before_days'])
        self.plan = {}       # file -> reason it is (re)written
        self.want = {}       # file -> key or [certificates] to end up with
        self.random = set()  # planned files whose content is freshly generated (unknown in check mode)

    def _read(self):
        raw = dict((f, read_bytes(self.paths[f])) for f in TLS_FILES)
        cur = dict((f, None) for f in TLS_FILES)
        for f in TLS_FILES:
            if raw[f] is not None:
                cur[f] = load_private_key(raw[f]) if f in (CA_KEY, SERVER_KEY) else load_certs(raw[f])
        return raw, cur

    def _expiring(self, cert):
        return not_after(cert) <= self.renew_at

    def _set(self, f, reason, obj, random=False):
        self.plan[f] = reason
        self.want[f] = obj
        if random:
            self.random.add(f)

    # -- planning

    def _plan_ca_generate(self, raw, cur):
        key, certs = cur[CA_KEY], cur[CA_CERT]
        cert = certs[0] if certs else None
        reason = None
        if key is None or not is_p384(key):
            self._set(CA_KEY, 'ca.key is not an EC P-384 key' if key is not None else _missing(raw[CA_KEY], CA_KEY),
                      generate_key(), random=True)
            key = self.want[CA_KEY]
            reason = 'new CA key'
        elif cert is None:
            reason = _missing(raw[CA_CERT], CA_CERT)
        elif not key_matches(key, cert):
            reason = 'ca.crt does not match ca.key'
        elif not is_ca(cert):
            reason = 'ca.crt is not a CA certificate'
        elif common_name(cert.subject) != self.p['ca_common_name']:
            reason = 'ca_common_name changed from %r' % common_name(cert.subject)
        elif self._expiring(cert):
            reason = 'ca.crt expires %s, within renew_before_days' % iso(not_after(cert))
        if reason:
            # Reissuing with the same key and name keeps existing server certificates valid.
            cert = build_ca(key, self.p['ca_common_name'], self.p['ca_valid_days'])
            self._set(CA_CERT, reason, [cert], random=True)
        return key, cert

    def _operator_ca(self, raw, cur):
        ca = load_cert(self.p['operator_ca_cert'])
        if ca is None:
            raise TLSError('operator_ca_cert is not a PEM certificate')
        if not is_ca(ca):
            raise TLSError('operator_ca_cert is not a CA certificate (BasicConstraints CA:TRUE missing)')
        if not_after(ca) <= utcnow():
            raise TLSError('operator_ca_cert expired on %s' % iso(not_after(ca)))
        self.want[CA_CERT] = [ca]
        if not cur[CA_CERT]:
            self.plan[CA_CERT] = _missing(raw[CA_CERT], CA_CERT)
        elif [cert_pem(c) for c in cur[CA_CERT]] != [cert_pem(ca)]:
            self.plan[CA_CERT] = 'ca.crt differs from operator_ca_cert'
        return ca

    def _plan_operator(self, raw, cur):
        ca = self._operator_ca(raw, cur)
        certs = load_certs(self.p['operator_cert'])
        if certs is None:
            raise TLSError('operator_cert is not a PEM certificate')
        key = load_private_key(self.p['operator_key'])
        if key is None:
            raise TLSError('operator_key is not an unencrypted PEM private key')
        for child, parent in zip(certs, certs[1:] + [ca]):
            if not issued_by(child, parent):
                raise TLSError('operator_cert does not verify against operator_ca_cert: %r is not signed by %r'
                               % (child.subject.rfc4514_string(), parent.subject.rfc4514_string()))
        if not key_matches(key, certs[0]):
            raise TLSError('operator_key does not match operator_cert')
        missing = [n for n in self.sans if n not in cert_sans(certs[0])]
        if missing:
            raise TLSError('operator_cert lacks the subject alternative names %s (from subject_alt_names; '
                           '127.0.0.1 and localhost are always required)' % ', '.join(missing))
        if not_after(certs[0]) <= utcnow():
            raise TLSError('operator_cert expired on %s' % iso(not_after(certs[0])))
        if self._expiring(certs[0]):
            self.module.warn('operator_cert expires %s, within renew_before_days' % iso(not_after(certs[0])))
        self.want[SERVER_KEY] = key
        self.want[SERVER_CERT] = certs
        if cur[SERVER_KEY] is None:
            self.plan[SERVER_KEY] = _missing(raw[SERVER_KEY], SERVER_KEY)
        elif key_pem(cur[SERVER_KEY]) != key_pem(key):
            self.plan[SERVER_KEY] = 'server.key differs from operator_key'
        if not cur[SERVER_CERT]:
            self.plan[SERVER_CERT] = _missing(raw[SERVER_CERT], SERVER_CERT)
        elif [cert_pem(c) for c in cur[SERVER_CERT]] != [cert_pem(c) for c in certs]:
            self.plan[SERVER_CERT] = 'server.pem differs from operator_cert'

    def _plan_server(self, raw, cur, ca_key, ca_cert):
        key, certs = cur[SERVER_KEY], cur[SERVER_CERT]
        cert = certs[0] if certs else None
        sans = set(cert_sans(cert)) if cert is not None else set()
        if key is None or not is_p384(key):
            self._set(SERVER_KEY, 'server.key is not an EC P-384 key' if key is not None
                      else _missing(raw[SERVER_KEY], SERVER_KEY), generate_key(), random=True)
            key = self.want[SERVER_KEY]
            reason = 'new server key'
        elif cert is None:
            reason = _missing(raw[SERVER_CERT], SERVER_CERT)
        elif not key_matches(key, cert):
            reason = 'server.pem does not match server.key'
        elif not issued_by(cert, ca_cert):
            reason = 'server.pem is not signed by the current CA'
        elif sans != set(self.sans):
            reason = 'subject_alt_names changed (added: %s; removed: %s)' % (
                ', '.join(sorted(set(self.sans) - sans)) or '-', ', '.join(sorted(sans - set(self.sans))) or '-')
        elif common_name(cert.subject) != self.cn:
            reason = 'common_name changed from %r' % common_name(cert.subject)
        elif not has_server_auth(cert) or is_ca(cert) or len(certs) > 1:
            reason = 'server.pem is not a plain server certificate (serverAuth, CA:FALSE, no chain)'
        elif self._expiring(cert):
            reason = 'server.pem expires %s, within renew_before_days' % iso(not_after(cert))
        else:
            return
        self._set(SERVER_CERT, reason, [build_server(key, ca_cert, ca_key, self.cn, self.sans, self.p['valid_days'])],
                  random=True)

    def _plan(self, raw, cur):
        if self.mode == 'operator':
            self._plan_operator(raw, cur)
            return
        if self.mode == 'generate':
            ca_key, ca_cert = self._plan_ca_generate(raw, cur)
        else:
            ca_cert = self._operator_ca(raw, cur)
            ca_key = load_private_key(self.p['operator_ca_key'])
            if ca_key is None:
                raise TLSError('operator_ca_key is not an unencrypted PEM private key')
            if not key_matches(ca_key, ca_cert):
                raise TLSError('operator_ca_key does not match operator_ca_cert')
        self._plan_server(raw, cur, ca_key, ca_cert)
        for opt, what in (('valid_days', 'server'), ('ca_valid_days', 'CA')):
            if self.p[opt] <= self.p['renew_before_days']:
                self.module.warn('%s <= renew_before_days: the %s certificate is renewed on every run' % (opt, what))

    # -- running

    def present(self):
        check = self.module.check_mode
        raw, cur = self._read()
        self._plan(raw, cur)
        final = dict((f, self.want.get(f, cur[f])) for f in TLS_FILES)
        for f in self.random if check else ():
            final[f] = None  # would be generated: its fingerprint is unknown until it is
        before = dict((f, _info(f, cur[f])) for f in TLS_FILES)
        after = dict(before)
        for f in self.plan:
            after[f] = _info(f, final[f]) or dict(regenerated=self.plan[f])

        changed = bool(self.plan)
        if not os.path.isdir(self.dir):
            changed = True
            if not check:
                os.makedirs(self.dir, 0o755)
        for f in TLS_FILES if not check else ():
            if f in self.plan:
                obj = self.want[f]
                data = key_pem(obj) if f in (CA_KEY, SERVER_KEY) else b''.join(cert_pem(c) for c in obj)
                write_file(self.module, self.paths[f], data, self._attrs(f)[0])
        for f in TLS_FILES:
            if not os.path.exists(self.paths[f]):
                continue  # not written yet (check mode), or ca.key in the operator modes
            attr_changed, b, a = set_attributes(self.module, self.paths[f], *self._attrs(f))
            if attr_changed and f not in self.plan:
                changed = True
                before[f] = dict(before[f] or {}, **b)
                after[f] = dict(after[f] or {}, **a)

        ca, server = final[CA_CERT], final[SERVER_CERT]
        result = dict(
            changed=changed,
            ca_cert=cert_pem(ca[0]).decode('ascii') if ca else None,
            ca_fingerprint=fingerprint(ca[0]) if ca else None,
            server_fingerprint=fingerprint(server[0]) if server else None,
            subject_alt_names=cert_sans(server[0]) if self.mode == 'operator' else self.sans,
            not_after=iso(not_after(server[0])) if server else None,
            regenerated=[dict(file=f, reason=self.plan[f]) for f in TLS_FILES if f in self.plan],
        )
        if self.module._diff:
            result['diff'] = dict(before=before, after=after)
        return result

    def _attrs(self, f):
        """(mode, owner, group) of a file. ca.key always belongs to the invoking user with mode 0600."""
        owner, group = self.p['owner'], self.p['group']
        if f == CA_KEY:
            return 0o600, str(os.geteuid()), None
        if f == SERVER_KEY:
            return (0o640 if group is not None else 0o600), owner, group
        return 0o644, owner, group

    def absent(self):
        existing = [f for f in TLS_FILES if os.path.lexists(self.paths[f])]
        result = dict(changed=bool(existing), regenerated=[])
        if self.module._diff:
            result['diff'] = dict(before=dict((f, dict(present=True)) for f in existing),
                                  after=dict((f, None) for f in existing))
        if not self.module.check_mode:
            for f in existing:
                os.unlink(self.paths[f])
        return result


def _missing(data, what):
    return '%s is missing' % what if data is None else '%s is unreadable or invalid' % what


def _info(f, obj):
    if obj is None:
        return None
    return key_info(obj) if f in (CA_KEY, SERVER_KEY) else cert_info(obj)


# ---------------------------------------------------------------- flower_supernode_key

def ssh_public_line(key):
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode('ascii')


def ssh_fingerprint(public_line):
    """SHA256 fingerprint as ``ssh-keygen -l`` prints it."""
    blob = base64.b64decode(public_line.split()[1])
    return 'SHA256:' + base64.b64encode(hashlib.sha256(blob).digest()).decode('ascii').rstrip('=')


def ssh_private_bytes(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption())


def load_node_key(data):
    """(key, in_openssh_format); key is None when ``data`` holds no usable private key."""
    if data is None:
        return None, False
    try:
        return serialization.load_ssh_private_key(data, password=None), True
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return load_private_key(data), False


def _first_two_fields(data):
    fields = data.decode('ascii', 'replace').split() if data else []
    return ' '.join(fields[:2]) if len(fields) >= 2 else None


class SuperNodeKey(object):
    """The SuperNode authentication key pair: OpenSSH private key at ``path``, public key at ``path.pub``."""

    def __init__(self, module):
        self.module = module
        self.path = module.params['path']
        self.pub_path = self.path + '.pub'
        self.curve = module.params['curve']

    def present(self):
        m = self.module
        if not os.path.isdir(os.path.dirname(os.path.abspath(self.path))):
            raise TLSError('path: directory %s does not exist' % os.path.dirname(os.path.abspath(self.path)))
        raw = read_bytes(self.path)
        key, openssh = load_node_key(raw)
        old_line = ssh_public_line(key) if isinstance(key, ec.EllipticCurvePrivateKey) else None
        rotate = True
        if m.params['force']:
            reason = 'force'
        elif key is None:
            reason = _missing(raw, 'private key')
        elif not isinstance(key, ec.EllipticCurvePrivateKey):
            reason = 'private key is not an EC key'
        elif key.curve.name != self.curve:
            reason = 'private key curve is %s, not %s' % (key.curve.name, self.curve)
        else:
            rotate = False
            # a PEM (PKCS#8/SEC1) key is rewritten in the OpenSSH format Flower reads; its identity is kept
            reason = None if openssh else 'private key is not in the OpenSSH format'
        if rotate:
            key = generate_key(self.curve)
            line = None if m.check_mode else ssh_public_line(key)
        else:
            line = ssh_public_line(key)
        old_pub = read_bytes(self.pub_path)
        pub_line = _first_two_fields(old_pub)
        write_pub = line is None or pub_line != line
        if not m.check_mode:
            if reason:
                write_file(m, self.path, ssh_private_bytes(key), 0o600)
            if write_pub:
                write_file(m, self.pub_path, (line + '\n').encode('ascii'), 0o644)
        changed = bool(reason) or write_pub
        attrs = {'before': {}, 'after': {}}
        for name, path, mode, written in (('key', self.path, m.params['mode'], bool(reason)),
                                          ('pub', self.pub_path, '0644', write_pub)):
            if os.path.exists(path):
                c, b, a = set_attributes(m, path, mode, m.params['owner'], m.params['group'])
                changed |= c
                if written:
                    continue
                attrs['before'].update(('%s_%s' % (name, k), v) for k, v in b.items())
                attrs['after'].update(('%s_%s' % (name, k), v) for k, v in a.items())
        if reason is None and write_pub:
            reason = 'public key file %s' % ('is missing' if old_pub is None else 'does not match the private key')
        result = dict(changed=changed, public_key=line, curve=self.curve, rotated=rotate, reason=reason,
                      fingerprint=ssh_fingerprint(line) if line else None, public_key_path=self.pub_path)
        if m._diff:
            result['diff'] = dict(
                before=dict(public_key=old_line, public_key_file=pub_line, **attrs['before']),
                after=dict(public_key=line, public_key_file=line, **attrs['after']))
        return result

    def absent(self):
        existing = [p for p in (self.path, self.pub_path) if os.path.lexists(p)]
        result = dict(changed=bool(existing))
        if self.module._diff:
            result['diff'] = dict(before=dict(files=existing), after=dict(files=[]))
        if not self.module.check_mode:
            for p in existing:
                os.unlink(p)
        return result
