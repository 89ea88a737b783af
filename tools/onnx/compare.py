#!/usr/bin/python3
"""Compare two float32 tensors (ONNX TensorProto .pb files).

  compare.py A.pb B.pb [--atol 1e-4]

Prints the shape, the largest absolute difference and where it is, and the
largest magnitude in A. Exits 0 when the shapes are equal and every element
differs by at most --atol, 1 otherwise (also on NaN in either tensor), 2 on a
file that cannot be read.
"""
import argparse
import sys

import numpy as np


def load(path):
    import onnx
    from onnx import numpy_helper
    try:
        with open(path, "rb") as f:
            t = onnx.TensorProto.FromString(f.read())
        return numpy_helper.to_array(t)
    except Exception as e:  # a bad file, whatever the parser says about it
        print("compare: %s: %s" % (path, e), file=sys.stderr)
        sys.exit(2)


def main():
    ap = argparse.ArgumentParser(description="Largest absolute difference of two tensors.")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--atol", type=float, default=1e-4)
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    if a.shape != b.shape:
        print("compare: shape mismatch: %s is %s, %s is %s" % (args.a, list(a.shape), args.b, list(b.shape)),
              file=sys.stderr)
        sys.exit(1)
    if a.size == 0:
        print("shape %s: empty, equal" % list(a.shape))
        return
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if np.isnan(a64).any() or np.isnan(b64).any():
        print("compare: NaN in %s" % (args.a if np.isnan(a64).any() else args.b), file=sys.stderr)
        sys.exit(1)
    diff = np.abs(a64 - b64)
    i = int(np.argmax(diff))
    worst = float(diff.flat[i])
    verdict = "ok" if worst <= args.atol else "OVER"
    print("shape %s: max abs diff %.3g at %s (%.6g vs %.6g), max |A| %.4g, atol %g: %s"
          % (list(a.shape), worst, list(np.unravel_index(i, a.shape)), a64.flat[i], b64.flat[i],
             float(np.abs(a64).max()), args.atol, verdict))
    sys.exit(0 if worst <= args.atol else 1)


if __name__ == "__main__":
    main()
