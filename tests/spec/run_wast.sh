#!/bin/sh
# run_wast.sh RUNNER WAST OUTDIR: convert one spec script with wast2json into
# OUTDIR (at test time; nothing converted is committed) and run it.
set -eu
runner=$1
wast=$2
out=$3
name=$(basename "$wast" .wast)
mkdir -p "$out/$name"
wast2json --disable-simd "$wast" -o "$out/$name/$name.json" 2>/dev/null ||
	wast2json "$wast" -o "$out/$name/$name.json"
exec "$runner" "$out/$name/$name.json"
