#!/usr/bin/env bash
# The reference scenario, and `make demo`: a small business classifies its
# images with a model rented from company B and an inference engine from
# company C, on company A's cloud. None of them sees another's assets, and
# only the business reads the labels.
#
#   - Company A, the operator, runs the platform (custosd in a simulated
#     TEE here) and an untrusted file host (an HTTP server that takes PUT).
#   - Every party first checks the platform against a manifest two auditors
#     signed; every later call goes over that attested channel.
#   - Company C registers its engine, the builtin image-classification.
#   - Company B trains a model, encrypts it with its own key and puts it on
#     the file host; the business does the same with its images.
#   - Both approve exactly this task; it runs inside the TEE; the labels
#     come back encrypted under the business's key alone.
#
# Run it from anywhere: examples/image-classification/run.sh (after `make`).
# CUSTOS_BIN points at the programs (default: build/bin of this checkout).
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
example_begin images
start=$(date +%s)
start_platform

say "Company A also runs the file host: an HTTP server that stores what is PUT to it"
"$root/examples/file-host.py" "$work/host" >filehost.port 2>filehost.log &
pids+=($!)
for _ in $(seq 50); do [ -s filehost.port ] && break; sleep 0.1; done
fh="http://127.0.0.1:$(head -1 filehost.port)"
echo "   $fh (untrusted: everything on it must be ciphertext)"

say "Each party checks the platform itself before it sends anything"
setup_parties modelco engineco business
for p in modelco engineco business; do
	as "$p" attest "$url" --manifest manifest.json --signature sig1.json --signature sig2.json \
		--auditor auditor1.pub --auditor auditor2.pub --threshold 2 --allow-simulation |
		sed -n "1s/^/   $p: /p"
done
register_user engineco function-owner
register_user modelco data-owner B
register_user business data-owner shop

say "Company C registers its inference engine as a function B and the business may use"
fn=$(as engineco function register --name classify --executor builtin \
	--builtin image-classification --arg top_k=1 --input model --input images \
	--output labels --allow modelco --allow business --json | id_of)
echo "   $fn"

say "Company B trains its model (Fashion-MNIST, a small CNN) and exports it to ONNX"
/usr/bin/python3 "$here/train-model" --out model >train.log 2>&1 ||
	fail "training failed: $(tail -5 train.log)"
python3 -c 'import json; r=json.load(open("model/train-report.json")); print("   trained in %.0f s, test accuracy in torch %.2f %%" % (r.get("train_seconds", 0), 100 * r.get("test_accuracy", 0)))' 2>/dev/null || true

# put P FILE NAME: P encrypts FILE with its own key and PUTs it to the file host as NAME.enc;
# prints the digest to register.
put() {
	local p=$1 file=$2 name=$3
	[ -f "$p.key" ] || "$custos" key generate -o "$p.key" >/dev/null
	"$custos" file encrypt --key "$p.key" -i "$file" -o "$name.enc" >/dev/null
	curl -sf -T "$name.enc" "$fh/$name.enc" || fail "the file host refused $name.enc"
	sha256sum "$name.enc" | cut -c1-64
	rm -f "$name.enc"
}

say "B encrypts the model with its own key and puts it on the file host"
digest=$(put modelco model/fashion-cnn.onnx model)
model=$(as modelco file register-input --url "$fh/model.enc" --key modelco.key \
	--digest "$digest" --json | id_of)
echo "   $model ($(stat -c %s model/fashion-cnn.onnx) bytes of model, sealed)"

say "The business encrypts its 10,000 images (IDX) and declares where its labels go"
cp model/test-images.idx3-ubyte images.idx
cp model/test-labels.idx1-ubyte truth.idx
digest=$(put business images.idx images)
images=$(as business file register-input --url "$fh/images.enc" --key business.key \
	--digest "$digest" --json | id_of)
labels=$(as business file register-output --url "$fh/labels.enc" --key business.key --json | id_of)
echo "   images $images, labels $labels"

say "The business proposes the task; B and the business each approve exactly it"
task=$(as business task create --function "$fn" --arg top_k=3 --input model=modelco \
	--input images=business --output labels=business --json | id_of)
as business task assign "$task" --input images="$images" --output labels="$labels" >/dev/null
as modelco task assign "$task" --input model="$model" >/dev/null
as modelco task approve "$task" >/dev/null
as business task approve "$task" >/dev/null
echo "   $task approved by modelco and business"

say "The business runs it: inside the TEE the model meets the images"
run_task business "$task"

say "The business downloads its labels and decrypts them with its own key"
curl -sf "$fh/labels.enc" -o labels.enc || fail "no labels on the file host"
as business task get "$task" --json >task.json
python3 - <<'PY' || fail "the labels on the file host are not the ones the task wrote"
import hashlib, json
t = json.load(open("task.json"))
want = t["output_digests"]["labels"]
got = hashlib.sha256(open("labels.enc", "rb").read()).hexdigest()
assert got == want, (got, want)
print("   its digest matches the one the task recorded:", got[:16] + "...")
PY
"$custos" file decrypt --key business.key -i labels.enc -o labels.csv >/dev/null
head -6 labels.csv | sed 's/^/      /'
python3 - <<'PY' || fail "accuracy could not be computed"
import csv
truth = open("truth.idx", "rb").read()[8:]
names = "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot".split(",")
rows = list(csv.reader(open("labels.csv")))[1:]
right = sum(1 for r in rows if r[1] == names[truth[int(r[0])]])
print("   accuracy against the business's own true labels: %d/%d = %.2f %%" % (right, len(rows), 100.0 * right / len(rows)))
PY

say "What each party could not see"
if grep -qaE 'custos.preprocess|Ankle boot|image,label1' host/*; then
	fail "plaintext on the file host"
fi
echo "   the file host holds $(ls host | wc -l) files, all ciphertext (no model, image or label in the clear)"
if "$custos" file decrypt --key modelco.key -i labels.enc -o /dev/null 2>/dev/null; then
	fail "company B's key opened the labels"
fi
curl -sf "$fh/images.enc" -o images.enc
if "$custos" file decrypt --key modelco.key -i images.enc -o /dev/null 2>/dev/null; then
	fail "company B's key opened the images"
fi
echo "   company B's key opens neither the images nor the labels"
curl -sf "$fh/model.enc" -o model.enc
if "$custos" file decrypt --key business.key -i model.enc -o /dev/null 2>/dev/null; then
	fail "the business's key opened the model"
fi
echo "   the business's key does not open the model"
echo "   done in $(($(date +%s) - start)) s"
echo OK
