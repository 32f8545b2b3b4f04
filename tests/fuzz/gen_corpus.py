#!/usr/bin/env python3
"""Writes the hand-made seeds of tests/fuzz/corpus/<target>/ (seed-*).

The seeds are committed; this script documents how each was made and can
remake them (python3 tests/fuzz/gen_corpus.py).  Inputs found by the fuzzer
(crashes once fixed, interesting units) are committed beside them under
their libFuzzer names.
"""

import os
import struct
import sys

MAGIC = 0x534D4D56
VERSION = 1
T_OPEN, T_IOCTL = 1, 2
FREAD, FWRITE = 1, 2
CREATE = 0xC1285600
DESTROY = 0xC1285601
SCOPED = 1


def hdr(typ, arg, length, magic=MAGIC, version=VERSION):
    return struct.pack("<IHHIiI", magic, version, typ, arg, 0, length)


def create(name, flags=SCOPED, reserved=0):
    body = name.encode().ljust(230, b"\0")[:230] + b"\0\0"
    body += struct.pack("<I", flags) + struct.pack("<i", reserved) + \
        b"\0" * 56
    assert len(body) == 296
    return hdr(T_IOCTL, CREATE, 296) + body


def destroy(name):
    body = name.encode().ljust(230, b"\0")[:230] + b"\0\0" + b"\0" * 64
    assert len(body) == 296
    return hdr(T_IOCTL, DESTROY, 296) + body


OPEN = hdr(T_OPEN, FREAD | FWRITE, 0)


# fuzz_sim input: [op][len][len bytes]...; op % 4 is the connection,
# (op >> 2) & 3 its endpoint (0 host, 1 jail a, 2 jail a/b), (op >> 4) & 3
# its uid (0 root, 1 and 2 unprivileged), op & 0xc0 == 0xc0 a hang-up.
def chunk(op, data):
    out = b""
    while True:
        n = min(len(data), 254)
        out += bytes([op, n]) + data[:n]
        data = data[n:]
        if not data:
            return out


def split(op, data, at):
    return chunk(op, data[:at]) + chunk(op, data[at:])


def sim_seeds():
    s = {}
    s["open"] = chunk(0, OPEN)
    s["create-destroy"] = chunk(0, OPEN + create("vm0", 0) + destroy("vm0"))
    s["scoped-then-hangup"] = chunk(0, OPEN + create("vm1")) + \
        chunk(0xc0, b"")
    s["split-frames"] = split(1, OPEN + create("x") + create("x"), 7) + \
        split(1, destroy("x"), 150)
    s["bad-magic"] = chunk(0, hdr(T_OPEN, 3, 0, magic=0xdeadbeef))
    s["bad-version"] = chunk(0, hdr(T_OPEN, 3, 0, version=9))
    s["oversized-len"] = chunk(0, OPEN + hdr(T_IOCTL, CREATE, 0x7fffffff))
    s["len-mismatch"] = chunk(0, OPEN + hdr(T_IOCTL, CREATE, 8) + b"a" * 8)
    s["ioctl-first"] = chunk(0, create("early"))
    s["open-twice"] = chunk(0, OPEN + OPEN)
    s["open-readonly"] = chunk(0, hdr(T_OPEN, FREAD, 0))
    s["unknown-cmd"] = chunk(0, OPEN + hdr(T_IOCTL, 0x20005601, 0))
    s["unknown-type"] = chunk(0, OPEN + hdr(7, 0, 0))
    s["bad-names"] = chunk(0, OPEN + create("") + create("a/b") +
                           create(".") + create("..") + create("x" * 230))
    s["reserved"] = chunk(0, OPEN + create("r", reserved=1))
    s["bad-flags"] = chunk(0, OPEN + create("f", flags=0x80))
    # Unprivileged, jailed: persistent refused, scoped fine, sibling views.
    s["jail-unpriv"] = chunk(0x14, OPEN + create("j", 0) + create("j")) + \
        chunk(0x09, OPEN + destroy("j") + create("j"))
    s["two-clients"] = chunk(0, OPEN + create("p", 0)) + \
        chunk(0x11, OPEN + destroy("p")) + chunk(0xc0, b"") + \
        chunk(1, create("p"))
    s["hangup-mid-frame"] = chunk(2, OPEN + create("m")[:100]) + \
        chunk(0xc2, b"")
    s["long-name"] = chunk(0, OPEN + create("n" * 229, 0) + destroy("n" * 229))
    return s


# fuzz_kern input: [op][cred][file] then op's arguments (see fuzz_kern.c).
def kern_seeds():
    s = {}
    # open file 0 rw; create "ab" persistent; destroy "ab"
    s["open-create-destroy"] = bytes([0, 0, 0, 3,
                                      1, 0, 0, 2, 1, 0, 0x00,
                                      2, 0, 0, 2, 1, 0, 0x00])
    # open, scoped create, release
    s["scoped-release"] = bytes([0, 1, 0, 3, 1, 1, 0, 1, 0, 0x01,
                                 4, 0, 0])
    # jail "a", open inside it, create, open at host, destroy
    s["jail"] = bytes([5, 0, 0, 1, 1, 0, 0x10, 0, 3, 1, 0x10, 0, 2, 0, 0,
                       0x01, 0, 0, 1, 3, 2, 0, 1, 2, 0, 0, 0x00])
    # raw create command word, full-size payload
    s["raw-ioctl"] = bytes([0, 0, 0, 3, 3, 0, 0, 0xc1, 0x28, 0x56, 0x00, 0,
                            0x80]) + b"vm" + b"\0" * 294
    # failures: publish error, then allocation failure
    s["failures"] = bytes([0, 0, 0, 3, 7, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0x00,
                           7, 0, 0, 2, 1, 0, 0, 1, 1, 0, 0x00])
    s["uid-limit"] = bytes([6, 0, 0, 1, 0, 1, 0, 3, 1, 1, 0, 1, 0, 0x01,
                            1, 1, 0, 1, 1, 0x01])
    # 80 scoped creates at once (the name table grows), then release
    s["bulk"] = bytes([0, 0, 0, 3, 8, 0, 0, 79, 8, 0, 0, 20, 4, 0, 0])
    return s


def name_seeds():
    return {
        "empty": b"\0",
        "dot": b".\0",
        "dotdot": b"..\0",
        "slash": b"a/b\0",
        "ok": b"vm0\0",
        "max": b"x" * 229 + b"\0",
        "too-long": b"x" * 230 + b"\0",
        "unterminated": b"abc",
        "embedded-nul": b"ab\0/c",
    }


def main():
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    for target, seeds in (("fuzz_sim", sim_seeds()),
                          ("fuzz_kern", kern_seeds()),
                          ("fuzz_name", name_seeds())):
        d = os.path.join(top, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
