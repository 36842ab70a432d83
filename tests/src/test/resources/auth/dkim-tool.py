#!/usr/bin/python3
"""Independent DKIM signer and ARC verifier for Veil's tests (Debian's python3-dkim).

  dkim-tool.py sign KEY.pem SELECTOR DOMAIN [ALG] < message > signed  DKIM-signs (rsa-sha256 unless ALG, relaxed)
  dkim-tool.py arc-verify DNS.txt < message                          prints "cv=<pass|fail|none> <reason>";
                                                                     exit 0 only for pass
  dkim-tool.py sign-all KEY.pem SELECTOR DOMAIN IN-DIR OUT-DIR [ALG] signs every file; prints "NAME signed" or
                                                                     "NAME refused: why"
KEY.pem is a PEM RSA key, or for ALG ed25519-sha256 the base64 of an Ed25519 seed (python3-dkim's format).
  dkim-tool.py arc-verify-all DNS.txt DIR                            prints "NAME cv=... reason" per file
DKIM_TOOL_CLOCK_OFFSET=SECONDS signs as if the clock were that far ahead (a sender whose clock runs fast).
DNS.txt holds "NAME<TAB>TXT-VALUE" lines: the records dnsfunc serves (Veil's ARC key), so no real DNS is needed.
"""
import os
import sys
import time

import dkim


def load_records(path):
    records = {}
    for line in open(path, encoding="ascii"):
        if line.strip():
            name, value = line.rstrip("\n").split("\t", 1)
            records[name.rstrip(".").lower()] = value.encode()

    def dnsfunc(name, timeout=5):
        key = name.decode() if isinstance(name, bytes) else name
        return records.get(key.rstrip(".").lower())
    return dnsfunc


def sign(message, key, selector, domain, algorithm="rsa-sha256"):
    return dkim.sign(message, selector.encode(), domain.encode(), key, canonicalize=(b"relaxed", b"relaxed"),
                     signature_algorithm=algorithm.encode(),
                     include_headers=[b"from", b"to", b"subject", b"date", b"message-id"]) + message


def main():
    offset = int(os.environ.get("DKIM_TOOL_CLOCK_OFFSET", "0"))
    if offset:
        real = time.time
        time.time = lambda: real() + offset
    if sys.argv[1] == "sign":
        key = open(sys.argv[2], "rb").read()
        sys.stdout.buffer.write(sign(sys.stdin.buffer.read(), key, sys.argv[3], sys.argv[4], *sys.argv[5:6]))
        return 0
    if sys.argv[1] == "sign-all":
        key = open(sys.argv[2], "rb").read()
        for name in sorted(os.listdir(sys.argv[5])):
            try:
                signed = sign(open(os.path.join(sys.argv[5], name), "rb").read(), key, sys.argv[3], sys.argv[4],
                              *sys.argv[7:8])
                open(os.path.join(sys.argv[6], name), "wb").write(signed)
                print("%s signed" % name)
            except Exception as e:
                print("%s refused: %s" % (name, str(e).replace("\n", " ")))
        return 0
    if sys.argv[1] == "arc-verify-all":
        dnsfunc = load_records(sys.argv[2])
        for name in sorted(os.listdir(sys.argv[3])):
            try:
                cv, results, reason = dkim.arc_verify(open(os.path.join(sys.argv[3], name), "rb").read(),
                                                      dnsfunc=dnsfunc)
                print("%s cv=%s %s" % (name, cv.decode(), str(reason).replace("\n", " ")))
            except Exception as e:
                print("%s cv=error %s" % (name, str(e).replace("\n", " ")))
        return 0
    if sys.argv[1] == "arc-verify":
        dnsfunc = load_records(sys.argv[2])
        message = sys.stdin.buffer.read()
        cv, results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)
        print("cv=%s %s" % (cv.decode(), reason))
        for r in results:
            print("  instance %s: %s" % (r.get("instance"), {k: v for k, v in r.items() if k != "instance"}))
        return 0 if cv == dkim.CV_Pass else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
