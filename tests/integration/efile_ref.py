#!/usr/bin/env python3
"""An independent implementation of the Custos file format, written from
docs/file-format.md with python3-cryptography, to prove the spec is complete
and that custos interoperates with it.

usage: efile_ref.py encrypt|decrypt KEYHEX IN OUT [CHUNK]
"""
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"CUSTOSEF"
HEADER_LEN = 40
TAG = 16


def file_key(key, header):
    info = b"custos-efile-v1" + header[:16]
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=header[16:40], info=info).derive(key)


def nonce(i):
    return b"\0\0\0\0" + struct.pack(">Q", i)


def encrypt(key, data, chunk):
    header = MAGIC + bytes([1, 1, 0, 0]) + struct.pack(">I", chunk) + os.urandom(24)
    aead = AESGCM(file_key(key, header))
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""]
    out = [header]
    for i, p in enumerate(pieces):
        final = i == len(pieces) - 1
        out.append(aead.encrypt(nonce(i), p, header + bytes([final])))
    return b"".join(out)


def decrypt(key, blob):
    header = blob[:HEADER_LEN]
    if len(header) < HEADER_LEN or header[:8] != MAGIC or header[8:12] != bytes([1, 1, 0, 0]):
        raise ValueError("not a Custos v1 file")
    chunk = struct.unpack(">I", header[12:16])[0]
    aead = AESGCM(file_key(key, header))
    body, rec, out, i = blob[HEADER_LEN:], chunk + TAG, [], 0
    while True:
        piece = body[i * rec:(i + 1) * rec]
        final = (i + 1) * rec >= len(body)
        out.append(aead.decrypt(nonce(i), piece, header + bytes([final])))
        if final:
            return b"".join(out)
        i += 1


def main():
    op, keyhex, src, dst = sys.argv[1:5]
    chunk = int(sys.argv[5]) if len(sys.argv) > 5 else 65536
    key = bytes.fromhex(keyhex)
    data = open(src, "rb").read()
    result = encrypt(key, data, chunk) if op == "encrypt" else decrypt(key, data)
    open(dst, "wb").write(result)


if __name__ == "__main__":
    main()
