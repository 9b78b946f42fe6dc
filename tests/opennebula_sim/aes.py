"""Minimal pure-Python AES-256-CBC encryption (FIPS-197), so the simulator needs no
third-party crypto library to compute OneGate tokens. Encryption only: OneGate's check
(decrypt and compare "<id>:<stime>") is equivalent to re-encrypting and comparing,
because the IV is fixed (zero)."""


def _build_sbox():
    sbox = [0] * 256
    p = q = 1
    while True:
        # p runs over the multiplicative group, q is its inverse
        p = p ^ ((p << 1) & 0xFF) ^ (0x1B if p & 0x80 else 0)
        q ^= q << 1
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        x = q ^ _rotl8(q, 1) ^ _rotl8(q, 2) ^ _rotl8(q, 3) ^ _rotl8(q, 4)
        sbox[p] = x ^ 0x63
        if p == 1:
            break
    sbox[0] = 0x63
    return sbox


def _rotl8(x, shift):
    return ((x << shift) | (x >> (8 - shift))) & 0xFF


SBOX = _build_sbox()


def _xtime(a):
    return ((a << 1) ^ 0x1B) & 0xFF if a & 0x80 else a << 1


def _expand_key(key):
    if len(key) != 32:
        raise ValueError("AES-256 needs a 32-byte key")
    words = [list(key[i:i + 4]) for i in range(0, 32, 4)]
    rcon = 1
    for i in range(8, 60):
        temp = list(words[i - 1])
        if i % 8 == 0:
            temp = [SBOX[b] for b in temp[1:] + temp[:1]]
            temp[0] ^= rcon
            rcon = _xtime(rcon)
        elif i % 8 == 4:
            temp = [SBOX[b] for b in temp]
        words.append([a ^ b for a, b in zip(words[i - 8], temp)])
    return [sum(words[r * 4:r * 4 + 4], []) for r in range(15)]


def _encrypt_block(round_keys, block):
    state = [b ^ k for b, k in zip(block, round_keys[0])]
    for rnd in range(1, 15):
        state = [SBOX[b] for b in state]
        # ShiftRows on a column-major 4x4 state
        state = [state[(i + 4 * (i % 4)) % 16] for i in range(16)]
        if rnd != 14:
            mixed = []
            for c in range(4):
                a = state[4 * c:4 * c + 4]
                total = a[0] ^ a[1] ^ a[2] ^ a[3]
                mixed += [a[i] ^ total ^ _xtime(a[i] ^ a[(i + 1) % 4]) for i in range(4)]
            state = mixed
        state = [b ^ k for b, k in zip(state, round_keys[rnd])]
    return bytes(state)


def aes256_cbc_encrypt(key, plaintext, iv=bytes(16)):
    """AES-256-CBC with PKCS#7 padding."""
    round_keys = _expand_key(key)
    pad = 16 - len(plaintext) % 16
    data = plaintext + bytes([pad]) * pad
    previous = iv
    out = b""
    for i in range(0, len(data), 16):
        block = bytes(a ^ b for a, b in zip(data[i:i + 16], previous))
        previous = _encrypt_block(round_keys, block)
        out += previous
    return out
