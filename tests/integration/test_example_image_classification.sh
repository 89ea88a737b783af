#!/usr/bin/env bash
# The reference scenario (and `make demo`) must run end to end: three
# companies, a model trained by one, images of another, labels for the
# business alone, the file host holding only ciphertext.
set -euo pipefail
out=$(CUSTOS_BIN="$CUSTOS_BIN" bash "$CUSTOS_SOURCE/examples/image-classification/run.sh" 2>&1) || {
	echo "$out"
	exit 1
}
echo "$out"
grep -q "10000 images classified" <<<"$out"
grep -qE "accuracy against the business's own true labels: [0-9]+/10000" <<<"$out"
grep -q "^OK$" <<<"$out"
