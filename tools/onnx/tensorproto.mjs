// ONNX TensorProto (.pb) files of float32 tensors: a reader and a writer.
//
// The fields used (onnx.proto, message TensorProto):
//   1 dims       repeated int64   varints, packed or not
//   2 data_type  int32            1 = FLOAT (the only type accepted here)
//   4 float_data repeated float   packed (wire type 2) or not (wire type 5)
//   8 name       string
//   9 raw_data   bytes            little-endian float32
//  14 data_location                1 = EXTERNAL is refused
// Every other field is skipped by its wire type. Lengths are checked before
// any read; the result never points into the input buffer.

import { endianness } from 'node:os';

const FLOAT = 1;
const LE = endianness() === 'LE';
const MAX_DIMS = 16;

class Reader {
	constructor(buf) {
		this.buf = buf;
		this.pos = 0;
	}
	done() {
		return this.pos >= this.buf.length;
	}
	varint() {
		let v = 0;
		for (let shift = 0; shift < 64; shift += 7) {
			if (this.pos >= this.buf.length) throw new Error('truncated varint');
			const b = this.buf[this.pos++];
			if (shift < 53) v += (b & 0x7f) * 2 ** shift;
			else if (b & 0x7f) throw new Error('varint out of range');
			if (!(b & 0x80)) return v;
		}
		throw new Error('varint too long');
	}
	bytes(n) {
		if (n > this.buf.length - this.pos) throw new Error('truncated field');
		const out = this.buf.subarray(this.pos, this.pos + n);
		this.pos += n;
		return out;
	}
	skip(wire) {
		if (wire === 0) this.varint();
		else if (wire === 1) this.bytes(8);
		else if (wire === 2) this.bytes(this.varint());
		else if (wire === 5) this.bytes(4);
		else throw new Error(`unsupported wire type ${wire}`);
	}
}

function checkDim(d) {
	if (!Number.isSafeInteger(d) || d > 2 ** 31) throw new Error(`dimension ${d} out of range`);
	return d;
}

// parseTensor(buf): {name, dims, data: Float32Array} from the bytes of a TensorProto.
export function parseTensor(buf) {
	const r = new Reader(buf);
	const dims = [];
	const floats = [];
	let name = '', type = 0, raw = null, location = 0;
	while (!r.done()) {
		const key = r.varint();
		const field = Math.floor(key / 8), wire = key % 8;
		if (field === 1 && wire === 0) dims.push(checkDim(r.varint()));
		else if (field === 1 && wire === 2) {
			const p = new Reader(r.bytes(r.varint()));
			while (!p.done()) dims.push(checkDim(p.varint()));
		} else if (field === 2 && wire === 0) type = r.varint();
		else if (field === 4 && wire === 5) floats.push(Buffer.from(r.bytes(4)).readFloatLE(0));
		else if (field === 4 && wire === 2) {
			const b = Buffer.from(r.bytes(r.varint()));
			if (b.length % 4) throw new Error('float_data length not a multiple of 4');
			for (let i = 0; i < b.length; i += 4) floats.push(b.readFloatLE(i));
		} else if (field === 8 && wire === 2) name = Buffer.from(r.bytes(r.varint())).toString('utf8');
		else if (field === 9 && wire === 2) raw = r.bytes(r.varint());
		else if (field === 14 && wire === 0) location = r.varint();
		else r.skip(wire);
		if (dims.length > MAX_DIMS) throw new Error(`more than ${MAX_DIMS} dimensions`);
	}
	if (type !== FLOAT) throw new Error(`data_type ${type}: only float32 (1) is supported`);
	if (location === 1) throw new Error('external data is not supported');
	const count = dims.reduce((a, d) => a * d, 1);
	if (!Number.isSafeInteger(count)) throw new Error('too many elements');
	let data;
	if (raw !== null) {
		if (raw.length !== count * 4) throw new Error(`raw_data holds ${raw.length} bytes, dims say ${count * 4}`);
		data = new Float32Array(count);
		if (LE) new Uint8Array(data.buffer).set(raw);
		else for (let i = 0; i < count; i++) data[i] = raw.readFloatLE(i * 4);
	} else {
		if (floats.length !== count) throw new Error(`float_data holds ${floats.length} values, dims say ${count}`);
		data = Float32Array.from(floats);
	}
	return { name, dims, data };
}

function varint(v) {
	const out = [];
	while (v >= 0x80) {
		out.push((v % 0x80) | 0x80);
		v = Math.floor(v / 0x80);
	}
	out.push(v);
	return out;
}

// serializeTensor(name, dims, data): the bytes of a float32 TensorProto,
// dims unpacked (as the onnx Python package writes them), data as raw_data.
export function serializeTensor(name, dims, data) {
	const head = [];
	for (const d of dims) head.push(0x08, ...varint(d));
	head.push(0x10, FLOAT);
	const nameBytes = Buffer.from(name, 'utf8');
	head.push(0x42, ...varint(nameBytes.length));
	let raw;
	if (LE) raw = Buffer.from(data.buffer, data.byteOffset, data.length * 4);
	else {
		raw = Buffer.alloc(data.length * 4);
		for (let i = 0; i < data.length; i++) raw.writeFloatLE(data[i], i * 4);
	}
	return Buffer.concat([Buffer.from(head), nameBytes, Buffer.from([0x4a, ...varint(raw.length)]), raw]);
}
