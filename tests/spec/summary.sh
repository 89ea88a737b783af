#!/bin/sh
# summary.sh RUNNER SPECDIR SKIPFILE OUTDIR: run every non-skipped .wast of the
# spec suite in one go and print passed/total per file, then the overall count
# as "N passed, N failed". The per-file ctest tests give failures one by one;
# this one gives the whole picture in the normal ctest log (ctest -V).
set -eu
runner=$1
dir=$2
skip=$3
out=$4
here=$(dirname "$0")
pass=0
total=0
files=0
for wast in "$dir"/*.wast; do
	name=$(basename "$wast")
	skipped=no
	for glob in $(grep -v '^#' "$skip" | grep -v '^$'); do
		case "$name" in $glob) skipped=yes ;; esac
	done
	[ "$skipped" = yes ] && continue
	line=$("$here/run_wast.sh" "$runner" "$wast" "$out" 2>&1 | tail -1) || true
	echo "$line"
	counts=$(echo "$line" | sed -n 's/^[^:]*: \([0-9]*\)\/\([0-9]*\) passed.*/\1 \2/p')
	[ -n "$counts" ] || { echo "  (no count: the runner failed)"; counts="0 1"; }
	set -- $counts
	pass=$((pass + $1))
	total=$((total + $2))
	files=$((files + 1))
done
echo "WebAssembly spec suite: $files files, $pass/$total assertions"
echo "$pass passed, $((total - pass)) failed"
[ "$pass" -eq "$total" ]
