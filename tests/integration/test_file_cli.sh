#!/usr/bin/env bash
# custos key/file commands as a user runs them: round trips, JSON output,
# tamper and truncation refusals with no partial output, bad input, and
# interoperability with independent implementations (python3-cryptography).
. "$(dirname "$0")/lib.sh"
REF="python3 $CUSTOS_SOURCE/tests/integration/efile_ref.py"
keyhex() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['key'])" "$1"; }

head -c 1000000 /dev/urandom >plain.bin
: >empty.bin
head -c 65536 /dev/urandom >exact.bin

expect_ok "generate custos key" "$CUSTOS" key generate -o k.json
[ "$(stat -c %a k.json)" = 600 ] && ok || bad "key file mode is not 0600"
expect_fail "no overwrite without --force" "exists" "$CUSTOS" key generate -o k.json
expect_ok "generate aes-gcm-128 key" "$CUSTOS" key generate --algorithm aes-gcm-128 -o t128.json
expect_ok "generate aes-gcm-256 key" "$CUSTOS" key generate --algorithm aes-gcm-256 -o t256.json
expect_ok "import a key" "$CUSTOS" key generate --key-hex 000102030405060708090a0b0c0d0e0f --algorithm aes-gcm-128 -o imp.json
[ "$(keyhex imp.json)" = 000102030405060708090a0b0c0d0e0f ] && ok || bad "imported key differs"
expect_fail "short --key-hex" "hex digits" "$CUSTOS" key generate --key-hex 0011 -o bad.json
expect_fail "unknown algorithm" "unknown algorithm" "$CUSTOS" key generate --algorithm rot13 -o bad.json
expect_ok "ed25519 pair" "$CUSTOS" key generate --algorithm ed25519 -o ed
[ -f ed.pub ] && grep -q "BEGIN PUBLIC KEY" ed.pub && [ "$(stat -c %a ed)" = 600 ] && ok || bad "ed25519 pair files"
expect_ok "ecdsa-p256 pair --json" "$CUSTOS" key generate --algorithm ecdsa-p256 -o ec --json
expect_json "ecdsa key id" "len(j['key_id']) == 64 and j['algorithm'] == 'ecdsa-p256'"

# Round trips in every format, at sizes around the chunk size.
for f in plain.bin empty.bin exact.bin; do
	expect_ok "encrypt $f" "$CUSTOS" file encrypt --key k.json -i $f -o $f.enc --json
	expect_json "digest of $f" "j['digest'] == '$(sha256sum <"$f.enc" 2>/dev/null | cut -c1-64)' or True"
	digest=$(python3 -c "import json; print(json.load(open('$SCRATCH/.out'))['digest'])")
	[ "$digest" = "$(sha256sum "$f.enc" | cut -c1-64)" ] && ok || bad "digest of $f is not the SHA-256 of the file"
	expect_ok "decrypt $f" "$CUSTOS" file decrypt --key k.json -i $f.enc -o $f.dec
	cmp -s $f $f.dec && ok || bad "$f does not round-trip"
done
for k in t128 t256; do
	expect_ok "encrypt $k" "$CUSTOS" file encrypt --key $k.json -i plain.bin -o $k.enc --json
	expect_json "$k prints iv and tag" "len(j['iv']) == 24 and len(j['tag']) == 32"
	iv=$(python3 -c "import json; print(json.load(open('$SCRATCH/.out'))['iv'])")
	tag=$(python3 -c "import json; print(json.load(open('$SCRATCH/.out'))['tag'])")
	[ "$(tail -c 16 $k.enc | od -An -tx1 | tr -d ' \n')" = "$tag" ] && ok || bad "$k tag is not the last 16 bytes"
	expect_fail "$k decrypt needs --iv" "needs --iv" "$CUSTOS" file decrypt --key $k.json -i $k.enc -o x
	expect_ok "decrypt $k" "$CUSTOS" file decrypt --key $k.json --iv "$iv" -i $k.enc -o $k.dec
	cmp -s plain.bin $k.dec && ok || bad "$k does not round-trip"
	expect_fail "$k wrong iv" "authentication failed" "$CUSTOS" file decrypt --key $k.json --iv 000000000000000000000000 -i $k.enc -o $k.bad
	[ ! -e $k.bad ] && ok || bad "$k: output left behind after a failure"
	# Interoperability with python3-cryptography, both ways (AAD: eight zero bytes).
	python3 - "$(keyhex $k.json)" "$iv" $k.enc plain.bin <<'PY' && ok || bad "$k: python cannot decrypt custos output"
import sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key, iv, enc, plain = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3], sys.argv[4]
assert AESGCM(key).decrypt(iv, open(enc, "rb").read(), bytes(8)) == open(plain, "rb").read()
PY
	python3 - "$(keyhex $k.json)" plain.bin py.$k.enc <<'PY'
import sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key = bytes.fromhex(sys.argv[1])
open(sys.argv[3], "wb").write(AESGCM(key).encrypt(bytes(range(12)), open(sys.argv[2], "rb").read(), bytes(8)))
PY
	expect_ok "custos decrypts python's $k" "$CUSTOS" file decrypt --key $k.json --iv 000102030405060708090a0b -i py.$k.enc -o py.$k.dec
	cmp -s plain.bin py.$k.dec && ok || bad "python $k file decrypts wrongly"
done
expect_ok "fixed iv" "$CUSTOS" file encrypt --key t128.json --iv 0102030405060708090a0b0c -i plain.bin -o fixed.enc --json
expect_json "fixed iv echoed" "j['iv'] == '0102030405060708090a0b0c'"
expect_fail "bad iv" "24 hex digits" "$CUSTOS" file encrypt --key t128.json --iv 0102 -i plain.bin -o x
expect_fail "iv with custos key" "aes-gcm keys only" "$CUSTOS" file encrypt --key k.json --iv 0102030405060708090a0b0c -i plain.bin -o x

# The Custos format against the independent implementation of docs/file-format.md.
KH=$(keyhex k.json)
$REF decrypt "$KH" plain.bin.enc ref.dec && cmp -s plain.bin ref.dec && ok || bad "reference cannot decrypt custos output"
$REF decrypt "$KH" empty.bin.enc ref.empty && cmp -s empty.bin ref.empty && ok || bad "reference: empty file"
$REF encrypt "$KH" plain.bin ref.enc 4096 && ok || bad "reference encrypt"
expect_ok "custos decrypts the reference's file" "$CUSTOS" file decrypt --key k.json -i ref.enc -o ref.enc.dec
cmp -s plain.bin ref.enc.dec && ok || bad "reference file decrypts wrongly"

# Tampering, truncation, extension, wrong key: refused, and nothing written.
# One bit flipped (XOR: overwriting the byte with a constant leaves it as it was 1 time in 256).
cp plain.bin.enc flip.enc
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[70000] ^= 1; open(sys.argv[1], "wb").write(b)' flip.enc
expect_fail "flipped bit" "tampered" "$CUSTOS" file decrypt --key k.json -i flip.enc -o out1
head -c 200000 plain.bin.enc >trunc.enc
expect_fail "truncated" "tampered|truncated" "$CUSTOS" file decrypt --key k.json -i trunc.enc -o out2
cp plain.bin.enc ext.enc; echo extra >>ext.enc
expect_fail "extended" "tampered" "$CUSTOS" file decrypt --key k.json -i ext.enc -o out3
expect_ok "other key" "$CUSTOS" key generate -o k2.json
expect_fail "wrong key" "wrong key" "$CUSTOS" file decrypt --key k2.json -i plain.bin.enc -o out4
expect_fail "not a custos file" "not a Custos encrypted file" "$CUSTOS" file decrypt --key k.json -i plain.bin -o out5
for o in out1 out2 out3 out4 out5; do [ ! -e $o ] && ok || bad "$o written despite failure"; done
[ -z "$(ls -A | grep custos-tmp)" ] && ok || bad "temporary files left behind"
echo '{"custos_key":1,"algorithm":"custos","key":"00"}' >badkey.json
expect_fail "malformed key file" "cannot use key file" "$CUSTOS" file encrypt --key badkey.json -i plain.bin -o x
expect_fail "missing input" "cannot read" "$CUSTOS" file encrypt --key k.json -i nosuch -o x
expect_fail "unwritable output dir" "cannot create" "$CUSTOS" file encrypt --key k.json -i plain.bin -o /nonexistent/dir/x
expect_fail "missing options" "required" "$CUSTOS" file encrypt --key k.json -i plain.bin
expect_fail "unknown command" "unknown command" "$CUSTOS" frobnicate
expect_ok "stdin input" sh -c "cat plain.bin | '$CUSTOS' file encrypt --key k.json -i - -o stdin.enc"
expect_ok "stdin round trip" "$CUSTOS" file decrypt --key k.json -i stdin.enc -o stdin.dec
cmp -s plain.bin stdin.dec && ok || bad "stdin round trip differs"

# Streams: a device or a pipe is written to, never replaced by a rename.
mkfifo fifo
expect_ok "decrypt to a device" "$CUSTOS" file decrypt --key k.json -i plain.bin.enc -o /dev/null
[ -c /dev/null ] && ok || bad "/dev/null is no longer a device"
expect_ok "decrypt to stdout" sh -c "'$CUSTOS' file decrypt --key k.json -i plain.bin.enc -o - > piped.dec"
cmp -s plain.bin piped.dec && ok || bad "stdout decryption differs"
expect_ok "encrypt to stdout" sh -c "'$CUSTOS' file encrypt --key k.json -i plain.bin -o - > piped.enc 2>digest.txt"
grep -q "^digest: $(sha256sum piped.enc | cut -c1-64)$" digest.txt && ok || bad "digest of stdout output"
(cat fifo > fifo.dec &) ; expect_ok "decrypt to a fifo" "$CUSTOS" file decrypt --key k.json -i plain.bin.enc -o fifo
sleep 0.2; cmp -s plain.bin fifo.dec && ok || bad "fifo decryption differs"
[ -p fifo ] && ok || bad "the fifo was replaced"
expect_fail "aes-gcm plaintext never streamed unauthenticated" "regular file" "$CUSTOS" file decrypt --key t128.json --iv 0102030405060708090a0b0c -i fixed.enc -o -
expect_fail "json with stdout data" "standard output" "$CUSTOS" file encrypt --key k.json -i plain.bin -o - --json
expect_fail "output is a directory" "cannot create" "$CUSTOS" file encrypt --key k.json -i plain.bin -o .

# inspect
expect_ok "inspect" "$CUSTOS" file inspect plain.bin.enc --json
expect_json "inspect fields" "j['format'] == 'custos' and j['plaintext_size'] == 1000000 and j['chunks'] == 16 and j['problem'] is None"
expect_ok "inspect truncated" "$CUSTOS" file inspect trunc.enc --json
expect_ok "inspect aes-gcm file" "$CUSTOS" file inspect t128.enc --json
expect_json "inspect unknown" "j['format'] == 'unknown'"
expect_ok "help" "$CUSTOS" file encrypt --help
finish
