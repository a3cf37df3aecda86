#!/usr/bin/env python3
"""An independent verifier for ancapex run ledgers, standard library only.

    tlog_verify.py <verifier-key-line> <proof.tlog-proof> <entry-line-file> [<entries.jsonl>]
    tlog_verify.py --tiles <verifier-key-line> <published ledger folder>

Checks, without any ancapex code: the C2SP signed-note signature of the checkpoint inside the
C2SP tlog-proof (Ed25519 per RFC 8032, implemented below from the RFC's description), the
checkpoint's RFC 6962 inclusion proof for the entry line (leaf = SHA-256(0x00 || line)), and,
when entries.jsonl is given, that the checkpoint's root is the RFC 6962 tree head of that many
lines. Prints `ok` and exits 0, or prints the reason and exits 1.

With --tiles, verifies every checkpoint published in the folder (`checkpoints/<size>` and
`checkpoint`, as a client holding any of them would) from the C2SP tlog-tiles alone, reading
only the tile paths a client computes for that tree size (`tile/<L>/<N>[.p/<W>]`,
`tile/entries/<N>[.p/<W>]`): the signature, that every entry in the bundles hashes to its leaf
in the level-0 tiles, that every hash of a higher tile is the tree head of the tile below it,
and that the root computed from the tiles is the signed root. `entries.jsonl` is not read.
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


# --- C2SP tlog-tiles ------------------------------------------------------------------------
WIDTH = 256


def tile_path(level, index, width):
    n = f"{index % 1000:03d}"
    index //= 1000
    while index:
        n = f"x{index % 1000:03d}/{n}"
        index //= 1000
    return f"tile/{level}/{n}" + (f".p/{width}" if width < WIDTH else "")


class Tiles:
    """The hashes of the tree of `size` entries, read from the tiles a client fetches."""

    def __init__(self, folder, size):
        self.folder, self.size, self.read = folder, size, {}

    def tile(self, level, index):
        in_level = self.size // WIDTH**level
        width = min(WIDTH, in_level - index * WIDTH)
        if width <= 0:
            raise ValueError(f"no tile {level}/{index} in a tree of {self.size}")
        path = tile_path(level, index, width)
        if path not in self.read:
            data = open(f"{self.folder}/{path}", "rb").read()
            if len(data) != 32 * width:
                raise ValueError(f"{path} holds {len(data)} bytes, not {32 * width}")
            self.read[path] = [data[i : i + 32] for i in range(0, len(data), 32)]
        return self.read[path]

    def subtree(self, height, index):
        # A complete subtree of 2^height leaves: 2^(height % 8) hashes of a level-(height // 8) tile.
        level, span = height // 8, 2 ** (height % 8)
        first = index * span
        row = self.tile(level, first // WIDTH)[first % WIDTH : first % WIDTH + span]
        return tree_head(row)

    def range(self, lo, hi):
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            return self.subtree(n.bit_length() - 1, lo // n)
        k = 1
        while k * 2 < n:
            k *= 2
        return node_hash(self.range(lo, lo + k), self.range(lo + k, hi))

    def check(self):
        # Entries: each bundle's entries hash to the leaves of the level-0 tile of its index.
        for index in range(-(-self.size // WIDTH)):
            width = min(WIDTH, self.size - index * WIDTH)
            path = "tile/entries/" + tile_path(0, index, width).removeprefix("tile/0/")
            data, at, leaves = open(f"{self.folder}/{path}", "rb").read(), 0, []
            while at < len(data):
                n = int.from_bytes(data[at : at + 2], "big")
                leaves.append(leaf_hash(data[at + 2 : at + 2 + n]))
                at += 2 + n
            if leaves != self.tile(0, index):
                raise ValueError(f"{path} does not hash to the leaves of its tile")
        # Higher tiles: each hash is the tree head of the full tile below it.
        level = 1
        while self.size // WIDTH**level:
            in_level = self.size // WIDTH**level
            for index in range(-(-in_level // WIDTH)):
                for i, h in enumerate(self.tile(level, index)):
                    if tree_head(self.tile(level - 1, index * WIDTH + i)) != h:
                        raise ValueError(f"tile {level}/{index} hash {i} is not the head of the tile below")
            level += 1
        return self.range(0, self.size)


def verify_tiles(key, folder):
    import os

    notes = [f"{folder}/checkpoints/{f}" for f in sorted(os.listdir(f"{folder}/checkpoints"), key=int)]
    notes.append(f"{folder}/checkpoint")
    for path in notes:
        text = open_note(open(path, encoding="utf-8").read(), key)
        origin, size, root = text.splitlines()[:3]
        size, root = int(size), base64.b64decode(root, validate=True)
        try:
            if Tiles(folder, size).check() != root:
                raise ValueError("the tiles give another root than the signed one")
        except (ValueError, OSError) as e:
            raise ValueError(f"checkpoint {size}: {e}") from e
        print(f"ok: checkpoint {size} of {origin} verifies from the tiles")


def main(argv):
    if argv[1] == "--tiles":
        verify_tiles(parse_key(argv[2]), argv[3])
        return
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
