#!/bin/bash
# Our ONNX engine (`custos onnx run`) against onnxruntime-node on real models
# (docs/models.md, "Comparing with onnxruntime"):
#  - torchvision's resnet18 and mobilenet_v2 (random weights, calibrated
#    BatchNorm): both engines on the same seeded random batch, every output
#    within 1e-4 of onnxruntime's;
#  - the Fashion-MNIST CNN of examples/image-classification/train-model,
#    trained briefly: on the 10,000 test images our count of correct top-1
#    answers equals onnxruntime's exactly.
# First the peer tools alone (ort-run.mjs, make-tensor.py, compare.py,
# accuracy.py). Exits 77 (skipped) when python3-torch, python3-torchvision,
# python3-onnx, dataset-fashion-mnist, node or onnxruntime-node
# (scripts/install-onnxruntime-node) are missing, and after the tools'
# checks when our CLI has no `onnx run`. ctest must take 77 as a skip
# (SKIP_RETURN_CODE in tests/integration/CMakeLists.txt).
. "$(dirname "$0")/lib.sh"

SKIP=77
PY=/usr/bin/python3
TOOLS=$CUSTOS_SOURCE/tools/onnx
EXAMPLE=$CUSTOS_SOURCE/examples/image-classification
skip() { echo "SKIPPED: $*"; exit $SKIP; }

$PY -c 'import torch, torchvision, onnx' 2>/dev/null ||
	skip "needs the Debian packages python3-torch, python3-torchvision and python3-onnx"
[ -r /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] ||
	skip "needs the Debian package dataset-fashion-mnist"
command -v node >/dev/null || skip "needs node (Debian: nodejs)"
export CUSTOS_ORT_DIR=${CUSTOS_ORT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/custos/ort}
node -e 'require(require("path").join(process.argv[1], "node_modules/onnxruntime-node"))' "$CUSTOS_ORT_DIR" 2>/dev/null ||
	skip "onnxruntime-node is not installed in $CUSTOS_ORT_DIR (run scripts/install-onnxruntime-node)"

ort() { node "$TOOLS/ort-run.mjs" "$@"; }
# same_text DESC FILE FILE: the two files hold the same text.
same_text() {
	if cmp -s "$2" "$3"; then ok; else bad "$1: '$(cat "$2")' vs '$(cat "$3")'"; fi
}

# --- the models and inputs
expect_ok "export resnet18 and mobilenet_v2" "$EXAMPLE/export-torchvision" --out models
expect_ok "train the CNN (3,000 images)" "$EXAMPLE/train-model" --out cnn --train-limit 3000
expect_ok "model metadata" $PY -c '
import onnx, sys
m = onnx.load("cnn/fashion-cnn.onnx")
p = {x.key: x.value for x in m.metadata_props}
assert p["custos.preprocess"] == "scale=0.00392156862745098;mean=0.286;std=0.353", p
assert len(p["custos.labels"].split(",")) == 10, p
assert [i.name for i in m.graph.input] == ["images"] and [o.name for o in m.graph.output] == ["logits"]
assert m.opset_import[0].version == 13'
expect_ok "IDX test images" cmp -n 16 cnn/test-images.idx3-ubyte <(printf '\0\0\10\3\0\0\47\20\0\0\0\34\0\0\0\34')
for m in resnet18 mobilenet_v2; do
	expect_ok "random input" $PY "$TOOLS/make-tensor.py" random --shape 2,3,224,224 --seed 1 -o "$m-in.pb"
done
expect_ok "test images as a tensor" $PY "$TOOLS/make-tensor.py" idx cnn/test-images.idx3-ubyte \
	--model cnn/fashion-cnn.onnx -o test-images.pb

# --- the peer tools alone
for m in resnet18 mobilenet_v2; do
	expect_ok "onnxruntime: $m" ort "models/$m.onnx" --input "images=$m-in.pb" --output-dir "ort-$m" --threads 2
	expect_ok "compare.py: $m against itself" $PY "$TOOLS/compare.py" "ort-$m/logits.pb" "ort-$m/logits.pb" --atol 0
done
expect_fail "compare.py: shape mismatch" "shape mismatch" \
	$PY "$TOOLS/compare.py" ort-resnet18/logits.pb test-images.pb
expect_ok "onnxruntime: CNN on 10,000 images" ort cnn/fashion-cnn.onnx --input images=test-images.pb \
	--output-dir ort-cnn --threads 2 --json
expect_json "ort-run.mjs --json" 'j["outputs"][0]["shape"] == [10000, 10] and j["runs"] == 1 and j["median_ms"] > 0'
expect_ok "accuracy.py (onnxruntime)" $PY "$TOOLS/accuracy.py" ort-cnn/logits.pb cnn/test-labels.idx1-ubyte
cp "$SCRATCH/.out" acc-ort.txt
expect_ok "CNN accuracy above 70 %" grep -qE '^([89][0-9]{3}|7[0-9]{3})/10000$' acc-ort.txt
expect_fail "accuracy.py: label count" "for 10000 labels|labels" \
	$PY "$TOOLS/accuracy.py" ort-resnet18/logits.pb cnn/test-labels.idx1-ubyte
expect_ok "four test images" $PY "$TOOLS/make-tensor.py" idx cnn/test-images.idx3-ubyte \
	--model cnn/fashion-cnn.onnx --offset 9996 -o four.pb
expect_ok "ort-run.mjs --repeat" ort cnn/fashion-cnn.onnx --input images=four.pb --output-dir x --json --repeat 3
expect_json "ort-run.mjs --repeat: median_ms" 'j["median_ms"] > 0 and j["runs"] == 3 and j["outputs"][0]["shape"] == [4, 10]'
expect_fail "ort-run.mjs: wrong input shape" "ort-run: run: .*dimensions" \
	ort cnn/fashion-cnn.onnx --input images=resnet18-in.pb --output-dir x
expect_fail "ort-run.mjs: unknown input" "no input 'pixels'" \
	ort cnn/fashion-cnn.onnx --input images=test-images.pb --input pixels=test-images.pb --output-dir x

# --- our engine against onnxruntime
if ! "$CUSTOS" onnx run --help >/dev/null 2>&1; then
	finish || exit 1
	skip "$CUSTOS has no 'onnx run': the engine comparisons did not run"
fi
for m in resnet18 mobilenet_v2; do
	expect_ok "custos: $m" "$CUSTOS" onnx run "models/$m.onnx" --input "images=$m-in.pb" \
		--output-dir "custos-$m" --threads 2
	expect_ok "$m: within 1e-4 of onnxruntime" $PY "$TOOLS/compare.py" "custos-$m/logits.pb" \
		"ort-$m/logits.pb" --atol 1e-4
done
expect_ok "custos: CNN on 10,000 images" "$CUSTOS" onnx run cnn/fashion-cnn.onnx --input images=test-images.pb \
	--output-dir custos-cnn --threads 2
expect_ok "accuracy.py (custos)" $PY "$TOOLS/accuracy.py" custos-cnn/logits.pb cnn/test-labels.idx1-ubyte
cp "$SCRATCH/.out" acc-custos.txt
same_text "correct answers: custos vs onnxruntime" acc-custos.txt acc-ort.txt
expect_ok "CNN logits within 1e-4 of onnxruntime" $PY "$TOOLS/compare.py" custos-cnn/logits.pb \
	ort-cnn/logits.pb --atol 1e-4
finish
