// node_bench.js MODULE.wasm: times the export `bench` in node's WebAssembly.
const fs = require('fs');
const mod = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
const inst = new WebAssembly.Instance(mod, {});
const t0 = process.hrtime.bigint();
const r = inst.exports.bench() >>> 0;
const t1 = process.hrtime.bigint();
console.log(r + ' ' + (Number(t1 - t0) / 1e9).toFixed(4));
