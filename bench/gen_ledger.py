#!/usr/bin/env python3
"""Write a run ledger of N entries into a site, as a long training run writes it.

usage: bench/gen_ledger.py --site DIR --entries N [--name NAME] [--checkpoint-every K]
                           [--checkpoints S1,S2,...] [--artifact-statuses PREFIX:M]

Writes DIR/artifacts/ledgers/NAME/ (ledger.toml, entries.jsonl, checkpoints/<size>): a
genesis line, a run.start, then a repeating run: nodes joining, notes, config changes, a
checkpoint entry every 50 lines and an eval of it (with --artifact-statuses, M `artifact.status`
entries for the records PREFIX00000 to PREFIX<M-1> first), each line chained to the one before (`prev`)
and hashed as ancapex does. A C2SP checkpoint is signed every K entries (default 1,000) and at
the end (or at the sizes --checkpoints lists), with a fixed benchmark key (Ed25519 per RFC 8032, with the curve arithmetic of
tests/tlog_verify.py), so the same arguments always give the same bytes. Standard library only.
"""
import argparse
import base64
import hashlib
import importlib.util
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "tlog_verify", os.path.join(HERE, "..", "tests", "tlog_verify.py"))
tv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tv)

SEED = bytes(range(32))


def _encode(pt):
    x, y, z, _ = pt
    zi = pow(z, tv.P - 2, tv.P)
    x, y = x * zi % tv.P, y * zi % tv.P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def keypair(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:], _encode(tv._mul(a, tv.BASE))


def sign(seed, message):
    a, prefix, public = keypair(seed)
    r = int.from_bytes(hashlib.sha512(prefix + message).digest(), "little") % tv.L
    big_r = _encode(tv._mul(r, tv.BASE))
    k = int.from_bytes(hashlib.sha512(big_r + public + message).digest(), "little") % tv.L
    return big_r + ((r + k * a) % tv.L).to_bytes(32, "little")


def key_id(name, public):
    return hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]


class Frontier:
    """The RFC 6962 tree head as entries are appended: the roots of the complete subtrees,
    left to right, merged as they fill, so each head costs O(log n)."""

    def __init__(self):
        self.stack, self.size = [], 0

    def append(self, leaf):
        node, n = leaf, self.size + 1
        while n % 2 == 0:
            node = hashlib.sha256(b"\x01" + self.stack.pop() + node).digest()
            n //= 2
        self.stack.append(node)
        self.size += 1

    def head(self):
        if not self.stack:
            return hashlib.sha256(b"").digest()
        node = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            node = hashlib.sha256(b"\x01" + left + node).digest()
        return node


def body(seq, step, last_checkpoint):
    phase = seq % 50
    if phase == 0:
        return "checkpoint", {
            "step": step, "tokens": step * 4096,
            "files": [{"path": f"ckpt-{step}.safetensors",
                       "sha256": hashlib.sha256(str(step).encode()).hexdigest(),
                       "size": 1 << 30, "uri": f"https://example.org/ckpt-{step}"}],
            "metrics": {"loss": round(3.0 - seq / (seq + 5000), 4)},
        }
    if phase == 1 and last_checkpoint is not None:
        return "eval", {
            "checkpoint_seq": last_checkpoint, "suite": "artifact:bench-eval@1.0.0",
            "harness": "bench-harness 1.0",
            "metrics": {"accuracy": {"value": 0.4, "ci95": [0.38, 0.42], "n": 1000}},
        }
    if phase == 7:
        return "node.join", {"node": f"gpu-node-{seq % 97}", "gpus": 8}
    if phase == 23:
        return "config.change", {"key": "lr", "from": 0.0003, "to": 0.0002,
                                 "reason": f"loss spike near step {step}"}
    return "note", {"text": f"step {step}: loss {3.0 - seq / (seq + 5000):.4f}, "
                            f"throughput {1000 + seq % 300} tokens/s on {8 + seq % 5} nodes"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", required=True)
    ap.add_argument("--entries", type=int, required=True)
    ap.add_argument("--name", default="bench-run")
    ap.add_argument("--checkpoint-every", type=int, default=1000)
    ap.add_argument("--checkpoints", help="the tree sizes to sign, comma-separated")
    ap.add_argument("--artifact-statuses", metavar="PREFIX:M",
                    help="M artifact.status entries after run.start, for PREFIX00000, ...")
    a = ap.parse_args()
    prefix, statuses = "", 0
    if a.artifact_statuses:
        prefix, m = a.artifact_statuses.rsplit(":", 1)
        statuses = int(m)
    origin = f"example.org/ledgers/{a.name}"
    _, _, public = keypair(SEED)
    kid = key_id(origin, public)
    encoded = base64.b64encode(b"\x01" + public).decode()
    key_line = f"{origin}+{kid.hex()}+{encoded}"
    d = os.path.join(a.site, "artifacts", "ledgers", a.name)
    os.makedirs(os.path.join(d, "checkpoints"), exist_ok=True)
    for old in os.listdir(os.path.join(d, "checkpoints")):
        os.remove(os.path.join(d, "checkpoints", old))
    with open(os.path.join(d, "ledger.toml"), "w") as f:
        f.write(f'origin = "{origin}"\ntitle = "Benchmark run"\nkeys = ["{key_line}"]\n'
                'actors = ["trainer"]\n')
    tree, prev, last_checkpoint = Frontier(), None, None
    if a.checkpoints:
        sizes = {int(n) for n in a.checkpoints.split(",")}
    else:
        sizes = set(range(a.checkpoint_every, a.entries + 1, a.checkpoint_every)) | {a.entries}
    with open(os.path.join(d, "entries.jsonl"), "w") as f:
        for seq in range(a.entries):
            if seq == 0:
                kind, b = "log.genesis", {"title": "Benchmark run"}
            elif seq == 1:
                kind, b = "run.start", {"run": a.name, "config": "bench-config"}
            elif seq < 2 + statuses:
                kind, b = "artifact.status", {"ref": f"artifact:{prefix}{seq - 2:05d}",
                                              "from": None, "to": "drafting"}
            else:
                kind, b = body(seq, seq * 10, last_checkpoint)
            if kind == "checkpoint":
                last_checkpoint = seq
            ts = f"2026-01-{1 + seq // 86400 % 28:02d}T{seq // 3600 % 24:02d}:{seq // 60 % 60:02d}:{seq % 60:02d}Z"
            line = json.dumps({"v": 1, "log": origin, "seq": seq, "prev": prev, "ts": ts,
                               "type": kind, "actor": "trainer", "body": b, "refs": []},
                              separators=(",", ":"), sort_keys=False)
            f.write(line + "\n")
            leaf = hashlib.sha256(b"\x00" + line.encode()).digest()
            tree.append(leaf)
            prev = leaf.hex()
            if seq + 1 in sizes:
                n = seq + 1
                text = f"{origin}\n{n}\n{base64.b64encode(tree.head()).decode()}\n"
                sig = base64.b64encode(kid + sign(SEED, text.encode())).decode()
                with open(os.path.join(d, "checkpoints", str(n)), "w") as c:
                    c.write(f"{text}\n\u2014 {origin} {sig}\n")


if __name__ == "__main__":
    main()
