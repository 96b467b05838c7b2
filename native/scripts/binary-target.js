// What a native binary was built for, read from its header: ELF (Linux), PE (Windows) or Mach-O
// (macOS) and the CPU, as a VS Code platform name (linux-x64, win32-arm64, …). For PE files also
// the DLLs and functions it imports (plain and delay-loaded) and the names it exports, which is how
// a Windows build that cannot be run here is checked (test/platforms).
//   node native/scripts/binary-target.js FILE…      prints it as JSON
'use strict';
const fs = require('node:fs');

const ELF_MACHINES = { 3: 'ia32', 40: 'arm', 62: 'x64', 183: 'arm64' };
const PE_MACHINES = { 0x14c: 'ia32', 0x1c4: 'arm', 0x8664: 'x64', 0xaa64: 'arm64', 0xa641: 'arm64ec' };
const MACHO_CPUS = { 0x01000007: 'x64', 0x0100000c: 'arm64', 7: 'ia32' };

/** Reads `length` bytes at `offset` (no more than the file has). */
function readAt(fd, offset, length) {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

function cString(buf, at) {
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 ? buf.length : end);
}

/** PE: sections, then the import, delay-import and export tables (whole file read: a .node is a
 *  few MB). */
function readPe(file, buf) {
  const peOffset = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', peOffset, peOffset + 4) !== 'PE\0\0') throw new Error(`${file}: MZ header without a PE signature`);
  const coff = peOffset + 4;
  const machineCode = buf.readUInt16LE(coff);
  const sectionCount = buf.readUInt16LE(coff + 2);
  const optionalSize = buf.readUInt16LE(coff + 16);
  const characteristics = buf.readUInt16LE(coff + 18);
  const opt = coff + 20;
  const magic = buf.readUInt16LE(opt);
  const pe32plus = magic === 0x20b;
  const dirBase = opt + (pe32plus ? 112 : 96);
  const dirCount = buf.readUInt32LE(opt + (pe32plus ? 108 : 92));
  const dir = (i) => (i < dirCount ? { rva: buf.readUInt32LE(dirBase + i * 8), size: buf.readUInt32LE(dirBase + i * 8 + 4) } : { rva: 0, size: 0 });
  const sections = [];
  for (let i = 0, s = opt + optionalSize; i < sectionCount; i++, s += 40) {
    sections.push({
      name: cString(buf.subarray(s, s + 8), 0),
      virtualSize: buf.readUInt32LE(s + 8), rva: buf.readUInt32LE(s + 12),
      rawSize: buf.readUInt32LE(s + 16), rawOffset: buf.readUInt32LE(s + 20),
    });
  }
  const offsetOf = (rva) => {
    for (const s of sections) {
      if (rva >= s.rva && rva < s.rva + Math.max(s.virtualSize, s.rawSize)) return rva - s.rva + s.rawOffset;
    }
    throw new Error(`${file}: RVA 0x${rva.toString(16)} is in no section`);
  };
  const nameAt = (rva) => cString(buf, offsetOf(rva));
  const thunkNames = (rva) => {
    const names = [];
    const width = pe32plus ? 8 : 4;
    for (let at = offsetOf(rva); ; at += width) {
      const value = pe32plus ? buf.readBigUInt64LE(at) : BigInt(buf.readUInt32LE(at));
      if (value === 0n) break;
      const ordinalFlag = pe32plus ? 1n << 63n : 1n << 31n;
      names.push(value & ordinalFlag ? `#${Number(value & 0xffffn)}` : cString(buf, offsetOf(Number(value & 0x7fffffffn)) + 2));
    }
    return names;
  };

  const imports = {};
  const importDir = dir(1);
  if (importDir.rva) {
    for (let at = offsetOf(importDir.rva); ; at += 20) {
      const lookup = buf.readUInt32LE(at) || buf.readUInt32LE(at + 16);
      const name = buf.readUInt32LE(at + 12);
      if (!lookup && !name) break;
      imports[nameAt(name)] = thunkNames(lookup);
    }
  }
  const delayImports = {};
  const delayDir = dir(13);
  if (delayDir.rva) {
    for (let at = offsetOf(delayDir.rva); ; at += 32) {
      const name = buf.readUInt32LE(at + 4);
      if (!name) break;
      delayImports[nameAt(name)] = thunkNames(buf.readUInt32LE(at + 16));
    }
  }
  const exports = [];
  let dllName = null;
  const exportDir = dir(0);
  if (exportDir.rva) {
    const at = offsetOf(exportDir.rva);
    dllName = nameAt(buf.readUInt32LE(at + 12));
    const count = buf.readUInt32LE(at + 24);
    const names = offsetOf(buf.readUInt32LE(at + 32));
    for (let i = 0; i < count; i++) exports.push(nameAt(buf.readUInt32LE(names + i * 4)));
  }
  return {
    machineCode, characteristics, isDll: (characteristics & 0x2000) !== 0, pe32plus,
    sections: sections.map((s) => s.name), dllName, imports, delayImports, exports: exports.sort(),
  };
}

/** { format, os, arch, platform ('linux-x64'…), detail, pe? } of a binary file. */
function readBinaryTarget(file) {
  const fd = fs.openSync(file, 'r');
  let head;
  try {
    head = readAt(fd, 0, 64);
  } finally {
    fs.closeSync(fd);
  }
  if (head.length >= 20 && head.toString('latin1', 0, 4) === '\x7fELF') {
    const le = head[5] === 1;
    const machineCode = le ? head.readUInt16LE(18) : head.readUInt16BE(18);
    const arch = ELF_MACHINES[machineCode] ?? `elf-machine-${machineCode}`;
    return { format: 'elf', os: 'linux', arch, platform: `linux-${arch}`, detail: `ELF ${head[4] === 2 ? '64' : '32'}-bit ${arch}` };
  }
  if (head.length >= 64 && head.toString('latin1', 0, 2) === 'MZ') {
    const pe = readPe(file, fs.readFileSync(file));
    const arch = PE_MACHINES[pe.machineCode] ?? `pe-machine-0x${pe.machineCode.toString(16)}`;
    return {
      format: 'pe', os: 'win32', arch, platform: `win32-${arch}`,
      detail: `PE${pe.pe32plus ? '32+' : ''} ${pe.isDll ? 'DLL' : 'executable'} ${arch} (machine 0x${pe.machineCode.toString(16)})`, pe,
    };
  }
  if (head.length >= 8) {
    const magic = head.readUInt32LE(0);
    if (magic === 0xfeedfacf || magic === 0xfeedface) {
      const cpu = head.readInt32LE(4) >>> 0;
      const arch = MACHO_CPUS[cpu] ?? `macho-cpu-0x${cpu.toString(16)}`;
      return { format: 'macho', os: 'darwin', arch, platform: `darwin-${arch}`, detail: `Mach-O ${arch}` };
    }
    if (head.readUInt32BE(0) === 0xcafebabe) return { format: 'macho-fat', os: 'darwin', arch: 'universal', platform: 'darwin-universal', detail: 'Mach-O universal' };
  }
  return { format: 'unknown', os: 'unknown', arch: 'unknown', platform: 'unknown', detail: 'not an ELF, PE or Mach-O file' };
}

module.exports = { readBinaryTarget };

if (require.main === module) {
  for (const file of process.argv.slice(2)) console.log(JSON.stringify({ file, ...readBinaryTarget(file) }, null, 1));
}
