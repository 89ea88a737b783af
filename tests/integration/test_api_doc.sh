#!/usr/bin/env bash
# docs/api.yaml and custosd's route table name the same calls: every route
# is documented with its method, path and operationId, and nothing is
# documented that custosd does not serve.
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 - "$CUSTOS_SOURCE" >"$SCRATCH/.report" 2>&1 <<'PY'
import re, sys, yaml
src = sys.argv[1]
spec = yaml.safe_load(open(src + "/docs/api.yaml"))
assert spec["openapi"].startswith("3.0"), "not OpenAPI 3.0"
doc = {}
for path, item in spec["paths"].items():
    for m, op in item.items():
        if m in ("get", "post", "put", "delete"):
            doc[(m.upper(), re.sub(r"\{[a-z_]+\}", "*", path))] = op.get("operationId")
code = {}
c = open(src + "/src/daemon/custosd_platform.c").read()
for m, p, o in re.findall(r'\{"(GET|POST|PUT|DELETE)", "(/v1/[^"]*)", "([a-z_.]+)"\}', c):
    code[(m, p)] = o
a = open(src + "/src/daemon/custosd_api.c").read()
for p in re.findall(r'"GET", "(/v1/[a-z]+)"', a):
    code[("GET", p)] = None
bad = 0
for k, o in sorted(code.items()):
    if k not in doc:
        print("undocumented route: %s %s" % k); bad += 1
    elif o and doc[k] != o:
        print("%s %s: operationId %s, custosd runs %s" % (k[0], k[1], doc[k], o)); bad += 1
for k in sorted(doc):
    if k not in code:
        print("documented but not served: %s %s" % k); bad += 1
print("%d routes, %d documented, %d mismatches" % (len(code), len(doc), bad))
sys.exit(1 if bad or len(code) < 30 else 0)
PY
if [ $? -eq 0 ]; then ok; else bad "docs/api.yaml and custosd differ: $(cat "$SCRATCH/.report")"; fi
finish
