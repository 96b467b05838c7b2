'use strict';
// Reads a VSIX (a zip) without unpacking it: its entry names and sizes, and any entry's bytes.
// .ci/package-vsix.js checks each package it writes with it (one .node, for the right platform),
// and test/platforms reads the packages back.
const fs = require('fs');
const zlib = require('zlib');

/** { entries: [{ name, size, compressedSize }], read(name): Buffer } of a zip file. */
function readVsix(file) {
  const buf = fs.readFileSync(file);
  // End of central directory: the last record with this signature (a comment may follow it)
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  const where = new Map();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: broken central directory at entry ${i}`);
    const method = buf.readUInt16LE(at + 10);
    const compressedSize = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const localHeader = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
    entries.push({ name, size, compressedSize });
    where.set(name, { method, compressedSize, localHeader });
    at += 46 + nameLength + extraLength + commentLength;
  }
  const read = (name) => {
    const e = where.get(name);
    if (!e) throw new Error(`${file} has no ${name}`);
    const start = e.localHeader + 30 + buf.readUInt16LE(e.localHeader + 26) + buf.readUInt16LE(e.localHeader + 28);
    const data = buf.subarray(start, start + e.compressedSize);
    if (e.method === 0) return Buffer.from(data);
    if (e.method === 8) return zlib.inflateRawSync(data);
    throw new Error(`${file}: ${name} uses zip method ${e.method}`);
  };
  return { entries, read };
}

module.exports = { readVsix };
