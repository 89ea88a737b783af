#!/usr/bin/env node
// ort-run.mjs: run an ONNX model in onnxruntime-node, the peer of our engine,
// with the same interface as `custos onnx run`:
//
//   node tools/onnx/ort-run.mjs MODEL.onnx --input NAME=TENSOR.pb... --output-dir DIR
//        [--threads N] [--repeat N] [--json]
//
// Reads each input from an ONNX TensorProto file (float32), runs the model
// and writes each output to DIR/<output name>.pb. --threads sets onnxruntime's
// intra-op threads (default 1; inter-op threads are always 1, sequential
// execution). Timing, with --repeat N: one warm-up run, not counted, then N
// runs, each timed from the call of session.run to its result with the
// inputs already in memory (loading the model, reading the inputs and writing
// the outputs are not timed); median_ms is the median of the N (the mean of
// the two middle ones when N is even). Without --repeat the model runs once,
// with no warm-up, and median_ms is that single, cold run (runs: 1).
// --json prints {"outputs": [{"name", "shape", "file"}], "runs", "threads",
// "median_ms", "min_ms", "load_ms", "engine", "model"} on stdout, the first
// four as `custos onnx run --json` prints them.
//
// onnxruntime-node is looked up in $CUSTOS_ORT_DIR, else in
// ${XDG_CACHE_HOME:-$HOME/.cache}/custos/ort (scripts/install-onnxruntime-node).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTensor, serializeTensor } from './tensorproto.mjs';

const USAGE =
	'usage: ort-run.mjs MODEL.onnx --input NAME=TENSOR.pb... --output-dir DIR [--threads N] [--repeat N] [--json]';

function die(msg) {
	process.stderr.write(`ort-run: ${String(msg).replace(/\s*\n\s*/g, " ").trim()}\n`);
	process.exit(1);
}

function positive(flag, v) {
	if (!/^[0-9]+$/.test(v || '') || Number(v) < 1 || Number(v) > 100000) die(`${flag} needs a positive integer`);
	return Number(v);
}

function parseArgs(argv) {
	const a = { model: null, inputs: [], outDir: null, threads: 1, repeat: 0, json: false };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const value = () => {
			if (i + 1 >= argv.length) die(`${arg} needs a value\n${USAGE}`);
			return argv[++i];
		};
		if (arg === '--input') {
			const v = value(), eq = v.indexOf('=');
			if (eq <= 0 || eq === v.length - 1) die(`--input wants NAME=TENSOR.pb, got '${v}'`);
			a.inputs.push([v.slice(0, eq), v.slice(eq + 1)]);
		} else if (arg === '--output-dir') a.outDir = value();
		else if (arg === '--threads') a.threads = positive(arg, value());
		else if (arg === '--repeat') a.repeat = positive(arg, value());
		else if (arg === '--json') a.json = true;
		else if (arg === '-h' || arg === '--help') {
			process.stdout.write(USAGE + '\n');
			process.exit(0);
		} else if (arg.startsWith('-')) die(`unknown option ${arg}\n${USAGE}`);
		else if (a.model === null) a.model = arg;
		else die(`unexpected argument ${arg}\n${USAGE}`);
	}
	if (a.model === null || a.outDir === null) die(USAGE);
	return a;
}

function loadOrt() {
	const dir = process.env.CUSTOS_ORT_DIR ||
		path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'custos', 'ort');
	try {
		return createRequire(path.join(dir, 'package.json'))('onnxruntime-node');
	} catch (e) {
		die(`cannot load onnxruntime-node from ${dir} (run scripts/install-onnxruntime-node): ${e.message.split('\n')[0]}`);
	}
}

function median(xs) {
	const s = [...xs].sort((p, q) => p - q), m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x) => Math.round(x * 1000) / 1000;

async function main() {
	const a = parseArgs(process.argv.slice(2));
	const ort = loadOrt();
	const feeds = {};
	for (const [name, file] of a.inputs) {
		let t;
		try {
			t = parseTensor(fs.readFileSync(file));
		} catch (e) {
			die(`${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
		}
		feeds[name] = new ort.Tensor('float32', t.data, t.dims);
	}
	const opts = {
		intraOpNumThreads: a.threads,
		interOpNumThreads: 1,
		executionMode: 'sequential',
		graphOptimizationLevel: 'all',
	};
	const t0 = performance.now();
	let session;
	try {
		session = await ort.InferenceSession.create(a.model, opts);
	} catch (e) {
		die(`${a.model}: ${e.message}`);
	}
	const loadMs = performance.now() - t0;
	for (const n of session.inputNames)
		if (!(n in feeds)) die(`the model wants input '${n}' (give --input ${n}=FILE.pb)`);
	for (const n of Object.keys(feeds))
		if (!session.inputNames.includes(n)) die(`the model has no input '${n}' (its inputs: ${session.inputNames.join(', ')})`);

	const run = async () => {
		try {
			return await session.run(feeds);
		} catch (e) {
			die(`run: ${e.message}`);
		}
	};
	let results;
	const times = [];
	if (a.repeat === 0) {
		const s = performance.now();
		results = await run();
		times.push(performance.now() - s);
	} else {
		results = await run(); // warm-up, not counted
		for (let i = 0; i < a.repeat; i++) {
			const s = performance.now();
			results = await run();
			times.push(performance.now() - s);
		}
	}

	fs.mkdirSync(a.outDir, { recursive: true });
	const outputs = [];
	for (const name of session.outputNames) {
		const t = results[name];
		if (t.type !== 'float32') die(`output '${name}' is ${t.type}: only float32 outputs are written`);
		if (!/^[A-Za-z0-9_.:-]+$/.test(name) || name.startsWith('.')) die(`output name '${name}' cannot be a file name`);
		const file = path.join(a.outDir, `${name}.pb`);
		fs.writeFileSync(file, serializeTensor(name, t.dims.map(Number), t.data));
		outputs.push({ name, shape: t.dims.map(Number), file });
	}
	const report = {
		outputs,
		runs: times.length,
		threads: a.threads,
		median_ms: round(median(times)),
		min_ms: round(Math.min(...times)),
		load_ms: round(loadMs),
		engine: `onnxruntime-node ${ort.env.versions?.common || ''}`.trim(),
		model: a.model,
	};
	if (a.json) process.stdout.write(JSON.stringify(report) + '\n');
	else {
		const ms = a.repeat ? `median ${report.median_ms} ms over ${a.repeat} runs` : `${report.median_ms} ms`;
		process.stdout.write(`${path.basename(a.model)}: ${ms} (${a.threads} thread(s)); wrote ${outputs.map((o) => o.file).join(', ')}\n`);
	}
	await session.release?.();
}

main().catch((e) => die(e.stack || String(e)));
