#!/usr/bin/env python3
"""An independent verifier for ancapex run ledgers, standard library only.

    tlog_verify.py <verifier-key-line> <proof.tlog-proof> <entry-line-file> [<entries.jsonl>]

Checks, without any ancapex code: the C2SP signed-note signature of the checkpoint inside the
C2SP tlog-proof (Ed25519 per RFC 8032, implemented below from the RFC's description), the
checkpoint's RFC 6962 inclusion proof for the entry line (leaf = SHA-256(0x00 || line)), and,
when entries.jsonl is given, that the checkpoint's root is the RFC 6962 tree head of that many
lines. Prints `ok` and exits 0, or prints the reason and exits 1.
"""

import base64
import hashlib
import sys

# --- Ed25519 verification (RFC 8032 section 5.1) -------------------------------------------
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    # Extended homogeneous coordinates (X, Y, Z, T), RFC 8032 section 5.1.4.
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, pt):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = _add(acc, pt)
        pt = _add(pt, pt)
        s >>= 1
    return acc


def _equal(a, b):
    x1, y1, z1, _ = a
    x2, y2, z2, _ = b
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _decode(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        if sign:
            return None
        x = 0
    else:
        x = pow(x2, (P + 3) // 8, P)
        if (x * x - x2) % P != 0:
            x = x * SQRT_M1 % P
        if (x * x - x2) % P != 0:
            return None
        if x & 1 != sign:
            x = P - x
    return (x, y, 1, x * y % P)


_BY = 4 * pow(5, P - 2, P) % P
BASE = _decode(_BY.to_bytes(32, "little"))


def ed25519_verify(public, message, signature):
    if len(signature) != 64:
        return False
    a = _decode(public)
    r = _decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _equal(_mul(s, BASE), _add(r, _mul(h, a)))


# --- C2SP signed note, checkpoint and tlog-proof --------------------------------------------
def parse_key(line):
    # Names have no "+", but base64 may: split from the left.
    name, key_id, key = line.strip().split("+", 2)
    raw = base64.b64decode(key, validate=True)
    if raw[0] != 1 or len(raw) != 33:
        raise ValueError("not an Ed25519 verifier key")
    want = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex()
    if want != key_id:
        raise ValueError("key id does not match")
    return name, bytes.fromhex(key_id), raw[1:]


def open_note(note, key):
    name, key_id, public = key
    split = note.rindex("\n\n")
    text, sigs = note[: split + 1], note[split + 2 :]
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            raise ValueError("malformed signature line")
        sig_name, b64 = line[2:].split(" ", 1)
        blob = base64.b64decode(b64, validate=True)
        if sig_name == name and blob[:4] == key_id and ed25519_verify(public, text.encode(), blob[4:]):
            return text
    raise ValueError("checkpoint signature does not verify")


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_head(leaves):
    # RFC 6962 section 2.1: MTH, split at the largest power of two smaller than n.
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(tree_head(leaves[:k]), tree_head(leaves[k:]))


def root_from_inclusion(index, size, leaf, path):
    # RFC 9162 section 2.1.3.2.
    if index >= size:
        raise ValueError("index past the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("proof too short")
    return r


def main(argv):
    key = parse_key(argv[1])
    proof = open(argv[2], encoding="utf-8").read()
    line = open(argv[3], "rb").read().rstrip(b"\n")
    head, note = proof.split("\n\n", 1)
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise ValueError("not a tlog-proof")
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest = rest[1:]
    index = int(rest[0].removeprefix("index "))
    path = [base64.b64decode(h, validate=True) for h in rest[1:]]
    text = open_note(note, key)
    origin, size, root = text.splitlines()[:3]
    size, root = int(size), base64.b64decode(root, validate=True)
    if root_from_inclusion(index, size, leaf_hash(line), path) != root:
        raise ValueError("the entry is not in the signed tree")
    if len(argv) > 4:
        entries = open(argv[4], "rb").read().split(b"\n")[:size]
        if tree_head([leaf_hash(e) for e in entries]) != root:
            raise ValueError("the checkpoint root is not the tree head of entries.jsonl")
    print(f"ok: entry {index} is in {origin} at size {size}")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except (ValueError, IndexError, OSError) as e:
        print(f"not verified: {e}")
        sys.exit(1)
