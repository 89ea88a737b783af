#!/usr/bin/python3
"""Top-1 accuracy of logits against an IDX1 label file.

  accuracy.py LOGITS.pb LABELS.idx1-ubyte

LOGITS.pb is a float32 TensorProto [N,K]; the predicted class of row i is the
index of its largest value (the first one on a tie). LABELS holds N labels
(an IDX1 file of unsigned bytes, gzipped or not). Prints `correct/total`,
e.g. `8560/10000`, and nothing else on stdout.
"""
import gzip
import struct
import sys

import numpy as np


def die(msg):
    print("accuracy: " + msg, file=sys.stderr)
    sys.exit(1)


def labels(path):
    try:
        with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        die("%s: %s" % (path, e.strerror or e))
    if len(blob) < 8 or blob[:4] != b"\0\0\x08\x01":
        die("%s: not an IDX1 file of unsigned bytes" % path)
    (n,) = struct.unpack(">I", blob[4:8])
    if len(blob) != 8 + n:
        die("%s: %d labels, header says %d" % (path, len(blob) - 8, n))
    return np.frombuffer(blob, dtype=np.uint8, offset=8)


def main():
    if len(sys.argv) != 3:
        die("usage: accuracy.py LOGITS.pb LABELS.idx1-ubyte")
    import onnx
    from onnx import numpy_helper
    try:
        with open(sys.argv[1], "rb") as f:
            logits = numpy_helper.to_array(onnx.TensorProto.FromString(f.read()))
    except Exception as e:  # a bad file, whatever the parser says about it
        die("%s: %s" % (sys.argv[1], e))
    y = labels(sys.argv[2])
    if logits.ndim != 2 or logits.shape[0] != len(y):
        die("%s is %s, for %d labels" % (sys.argv[1], list(logits.shape), len(y)))
    if int(y.max(initial=0)) >= logits.shape[1]:
        die("label %d out of range for %d classes" % (int(y.max()), logits.shape[1]))
    correct = int((logits.argmax(axis=1) == y).sum())
    print("%d/%d" % (correct, len(y)))


if __name__ == "__main__":
    main()
