#!/bin/sh
# custos onnx run on node tests of libonnx-testdata: inputs by name, outputs
# written to DIR/<name>.pb and compared with the expected ones; --repeat and
# --json report median_ms; bad usage and a bad model fail cleanly.
# usage: cli_run.sh CUSTOS RUNNER DATA_DIR OUT_DIR
set -u
custos=$1 runner=$2 data=$3 out=$4
[ -d "$data" ] || { echo "no ONNX node tests at $data: skipped"; exit 77; }
rm -rf "$out" && mkdir -p "$out" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# case, output name, then NAME=index pairs
check() {
	case=$1 dir=$data/$1 name=$2
	shift 2
	args=""
	for pair in "$@"; do
		args="$args --input ${pair%%=*}=$dir/test_data_set_0/input_${pair#*=}.pb"
	done
	# shellcheck disable=SC2086
	json=$("$custos" onnx run "$dir/model.onnx" $args --output-dir "$out/$case" --repeat 3 --json) ||
		fail "$case: custos onnx run failed"
	case $json in *'"median_ms":'*'"runs":3'* | *'"runs":3'*'"median_ms":'*) ;; *) fail "$case: $json" ;; esac
	"$runner" --compare "$out/$case/$name.pb" "$dir/test_data_set_0/output_0.pb" ||
		fail "$case: output differs"
	echo "ok $case"
}

check test_gemm_all_attributes y a=0 b=1 c=2
check test_basic_conv_with_padding y x=0 W=1
check test_reshape_negative_dim reshaped data=0 shape=1

# Errors: a missing input, an unknown input, a file that is no model.
"$custos" onnx run "$data/test_basic_conv_with_padding/model.onnx" --output-dir "$out/e" \
	--input "x=$data/test_basic_conv_with_padding/test_data_set_0/input_0.pb" 2>/dev/null &&
	fail "a missing input was accepted"
"$custos" onnx run "$data/test_relu/model.onnx" --output-dir "$out/e" \
	--input "nope=$data/test_relu/test_data_set_0/input_0.pb" 2>/dev/null &&
	fail "an unknown input was accepted"
"$custos" onnx run "$data/test_relu/test_data_set_0/input_0.pb" --output-dir "$out/e" \
	--input "x=$data/test_relu/test_data_set_0/input_0.pb" 2>/dev/null &&
	fail "a tensor was accepted as a model"
"$custos" onnx run "$data/test_relu/model.onnx" 2>/dev/null
[ $? -eq 2 ] || fail "no --output-dir is not a usage error"
echo "ok errors"
