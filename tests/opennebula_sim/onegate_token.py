"""OneGate tokens exactly as oned makes them (VirtualMachineContext.cc):
base64(AES-256-CBC(key=owner's TOKEN_PASSWORD[0:32], iv=16 zero bytes, PKCS#7,
plaintext="<VMID>:<STIME>"))."""

import base64
import hmac

from .aes import aes256_cbc_encrypt


def onegate_token(token_password, vm_id, stime):
    key = token_password[:32].encode()
    plaintext = ("%d:%d" % (vm_id, stime)).encode()
    return base64.b64encode(aes256_cbc_encrypt(key, plaintext)).decode()


def token_matches(presented, token_password, vm_id, stime):
    """What OneGateCloudAuth checks; whitespace around the header value is ignored."""
    expected = onegate_token(token_password, vm_id, stime)
    return hmac.compare_digest((presented or "").strip().encode(), expected.encode())
