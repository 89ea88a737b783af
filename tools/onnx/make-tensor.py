#!/usr/bin/python3
"""Make an input tensor (an ONNX TensorProto .pb file, float32) for
`custos onnx run` and tools/onnx/ort-run.mjs.

  make-tensor.py idx IMAGES.idx3-ubyte --model MODEL.onnx -o OUT.pb [--offset K] [--count N]
      images K..K+N-1 of an IDX file of unsigned bytes, preprocessed as the
      model's metadata_props `custos.preprocess` says (docs/models.md):
      x = (b * scale - mean[c]) / std[c] in float32, shape [N,C,H,W].
      IDX dims [N,H,W] give C=1; [N,H,W,C] (channels interleaved) give C.
      --preprocess 'scale=...;mean=...;std=...' overrides the model's.
  make-tensor.py random --shape 1,3,224,224 --seed S -o OUT.pb
      standard normal values from numpy's PCG64 generator seeded with S.

The tensor is named after the model's first input (idx) or --name (default
`images`).
"""
import argparse
import re
import struct
import sys

import numpy as np

MAX_ELEMS = 1 << 31
NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def die(msg):
    print("make-tensor: " + msg, file=sys.stderr)
    sys.exit(1)


def parse_preprocess(text, channels):
    """'scale=S;mean=M[,M...];std=D[,D...]' -> (scale, mean[C], std[C]) as float32."""
    fields = {}
    for part in text.split(";"):
        if "=" not in part:
            die("preprocess %r: %r is not KEY=VALUE" % (text, part))
        k, v = part.split("=", 1)
        if k not in ("scale", "mean", "std") or k in fields:
            die("preprocess %r: unknown or repeated key %r" % (text, k))
        nums = v.split(",")
        if not all(NUMBER.match(x) for x in nums):
            die("preprocess %r: %r is not a list of decimal numbers" % (text, v))
        fields[k] = [float(x) for x in nums]
    scale = fields.get("scale", [1.0])
    mean = fields.get("mean", [0.0])
    std = fields.get("std", [1.0])
    if len(scale) != 1:
        die("preprocess %r: scale takes one number" % text)
    out = []
    for name, vals in (("mean", mean), ("std", std)):
        if len(vals) == 1:
            vals = vals * channels
        if len(vals) != channels:
            die("preprocess %r: %s has %d values for %d channels" % (text, name, len(vals), channels))
        with np.errstate(over="ignore"):  # caught below as not finite
            out.append(np.array(vals, dtype=np.float32).reshape(1, channels, 1, 1))
    with np.errstate(over="ignore"):
        scale32 = np.float32(scale[0])
    if not all(np.all(np.isfinite(v)) for v in [scale32] + out):
        die("preprocess %r: a number out of float32's range" % text)
    if np.any(out[1] == 0):
        die("preprocess %r: std must be non-zero" % text)
    return scale32, out[0], out[1]


def read_idx(path):
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        die("%s: %s" % (path, e.strerror))
    if len(blob) < 4 or blob[:3] != b"\0\0\x08" or blob[3] not in (3, 4):
        die("%s: not an IDX file of unsigned bytes with 3 or 4 dimensions" % path)
    nd = blob[3]
    if len(blob) < 4 + 4 * nd:
        die("%s: truncated header" % path)
    dims = struct.unpack(">%dI" % nd, blob[4:4 + 4 * nd])
    count = int(np.prod(dims, dtype=np.int64))
    if count > MAX_ELEMS or len(blob) - 4 - 4 * nd != count:
        die("%s: %d data bytes, header %s" % (path, len(blob) - 4 - 4 * nd, dims))
    return np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def from_idx(args):
    import onnx
    model = onnx.load(args.model, load_external_data=False)
    meta = {p.key: p.value for p in model.metadata_props}
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if not inputs:
        die("%s: no input" % args.model)
    if len(inputs) != 1 or inputs[0].type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        die("%s: wants one float32 input, has %d inputs" % (args.model, len(inputs)))
    shape = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if len(shape) != 4 or min(shape[1:]) < 1:
        die("%s: input %r is not [N,C,H,W] with fixed C, H, W" % (args.model, inputs[0].name))
    text = args.preprocess or meta.get("custos.preprocess")
    if text is None:
        die("%s: no custos.preprocess in metadata_props (or give --preprocess)" % args.model)
    images = read_idx(args.images)
    if images.ndim == 3:
        images = images[:, :, :, None]
    n, h, w, c = images.shape
    if (c, h, w) != tuple(shape[1:]):
        die("%s: images are %dx%dx%d (CxHxW), the model wants %s" % (args.images, c, h, w, shape[1:]))
    count = n - args.offset if args.count is None else args.count
    if args.offset < 0 or count < 1 or args.offset + count > n:
        die("--offset %d --count %s: the file holds %d images" % (args.offset, args.count, n))
    scale, mean, std = parse_preprocess(text, c)
    x = images[args.offset:args.offset + count].transpose(0, 3, 1, 2).astype(np.float32)
    return inputs[0].name, (x * scale - mean) / std


def main():
    ap = argparse.ArgumentParser(description="Make a float32 TensorProto input file.")
    sub = ap.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("idx", help="preprocessed images from an IDX file")
    a.add_argument("images")
    a.add_argument("--model", required=True, help="the ONNX model (its input and custos.preprocess)")
    a.add_argument("--preprocess", help="override the model's custos.preprocess")
    a.add_argument("--offset", type=int, default=0)
    a.add_argument("--count", type=int)
    r = sub.add_parser("random", help="standard normal values")
    r.add_argument("--shape", required=True, help="comma-separated, e.g. 1,3,224,224")
    r.add_argument("--seed", type=int, required=True)
    r.add_argument("--name", default="images")
    for p in (a, r):
        p.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    from onnx import numpy_helper

    if args.mode == "idx":
        name, x = from_idx(args)
    else:
        try:
            shape = [int(d) for d in args.shape.split(",")]
        except ValueError:
            die("--shape %r: not a comma-separated list of integers" % args.shape)
        if not shape or min(shape) < 1 or np.prod(shape, dtype=np.int64) > MAX_ELEMS:
            die("--shape %r: every dimension must be positive, and not too many elements" % args.shape)
        name = args.name
        x = np.random.default_rng(args.seed).standard_normal(shape, dtype=np.float32)
    t = numpy_helper.from_array(np.ascontiguousarray(x, dtype=np.float32), name)
    with open(args.out, "wb") as f:
        f.write(t.SerializeToString())


if __name__ == "__main__":
    main()
