// Which platform a tandem.node was built for, read from its file header, so that loading one built
// for another machine (a linux-x64 VSIX installed on arm64, say) says so instead of passing on the
// loader's terse "wrong ELF class" or "%1 is not a valid Win32 application". Read only after a load
// failed: a working load costs nothing. native/scripts/binary-target.js is the full reader (PE
// imports and exports) the build and tests use.
import * as fs from 'node:fs';

const ELF_MACHINES: Record<number, string> = { 3: 'ia32', 40: 'arm', 62: 'x64', 183: 'arm64' };
const PE_MACHINES: Record<number, string> = { 0x14c: 'ia32', 0x1c4: 'arm', 0x8664: 'x64', 0xaa64: 'arm64' };
const MACHO_CPUS: Record<number, string> = { 0x01000007: 'x64', 0x0100000c: 'arm64' };

function readHead(file: string, length: number, position = 0): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    return buf.subarray(0, fs.readSync(fd, buf, 0, length, position));
  } finally {
    fs.closeSync(fd);
  }
}

/** 'linux-arm64', 'win32-x64', 'darwin-arm64'… (Node's process.platform-process.arch), or
 *  undefined when the file is none of ELF, PE, Mach-O (or unreadable). */
export function binaryPlatform(file: string): string | undefined {
  try {
    const head = readHead(file, 64);
    if (head.length >= 20 && head.toString('latin1', 0, 4) === '\x7fELF') {
      const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
      return `linux-${ELF_MACHINES[machine] ?? `machine-${machine}`}`;
    }
    if (head.length >= 64 && head.toString('latin1', 0, 2) === 'MZ') {
      const pe = readHead(file, 6, head.readUInt32LE(0x3c));
      if (pe.length < 6 || pe.toString('latin1', 0, 4) !== 'PE\0\0') return undefined;
      const machine = pe.readUInt16LE(4);
      return `win32-${PE_MACHINES[machine] ?? `machine-0x${machine.toString(16)}`}`;
    }
    if (head.length >= 8 && head.readUInt32LE(0) === 0xfeedfacf) {
      const cpu = head.readUInt32LE(4);
      return `darwin-${MACHO_CPUS[cpu] ?? `cpu-0x${cpu.toString(16)}`}`;
    }
    if (head.length >= 8 && head.readUInt32BE(0) === 0xcafebabe) return 'darwin-universal';
  } catch {
    // unreadable: the loader's own error stands
  }
  return undefined;
}

/** A clear message when `file` is a binary for another platform than this process's; undefined
 *  when it is for this one (or cannot be told), so the loader's own error stands. */
export function addonMismatch(file: string, platform: string = process.platform, arch: string = process.arch): string | undefined {
  const built = binaryPlatform(file);
  const here = `${platform}-${arch}`;
  if (!built || built === here || (built === 'darwin-universal' && platform === 'darwin')) return undefined;
  return (
    `${file} is built for ${built}, but this is ${here}: this Tandem package is for another kind of machine. ` +
    `Install the Tandem VSIX for ${here} (see "Platforms" in Tandem's README), or build the addon here with \`npm run build:native\`.`
  );
}

/** llama.cpp's system-info names of compiled-in instruction sets → the flag Linux lists for them in
 *  /proc/cpuinfo (x86 "flags", Arm "Features"). Names not here are not checked. */
const CPUINFO_FLAGS: Record<string, Record<string, string>> = {
  x64: {
    SSE3: 'pni',
    SSSE3: 'ssse3',
    AVX: 'avx',
    AVX2: 'avx2',
    F16C: 'f16c',
    FMA: 'fma',
    BMI2: 'bmi2',
    AVX_VNNI: 'avx_vnni',
    AVX512: 'avx512f',
    AVX512_VBMI: 'avx512vbmi',
    AVX512_VNNI: 'avx512_vnni',
    AVX512_BF16: 'avx512_bf16',
    AMX_INT8: 'amx_int8',
  },
  arm64: { NEON: 'asimd', FP16_VA: 'asimdhp', DOTPROD: 'asimddp', MATMUL_INT8: 'i8mm', SVE: 'sve', SME: 'sme' },
};

/** The instruction sets an addon was compiled with (its version().systemInfo, e.g. "DOTPROD = 1")
 *  that this CPU lacks according to /proc/cpuinfo: the engine would stop with an illegal
 *  instruction at its first computation. Empty when nothing is missing or it cannot be told (no
 *  flags line: not Linux, or an emulator that shows the host's). */
export function missingCpuFeatures(systemInfo: string, cpuinfo: string, arch: string = process.arch): string[] {
  const names = CPUINFO_FLAGS[arch];
  const line = new RegExp(`^${arch === 'arm64' ? 'Features' : 'flags'}\\s*:(.*)$`, 'm').exec(cpuinfo);
  if (!names || !line) return [];
  const present = new Set(line[1].trim().split(/\s+/));
  return [...systemInfo.matchAll(/\b([A-Z0-9_]+) = 1\b/g)]
    .map((m) => m[1])
    .filter((name) => names[name] && !present.has(names[name]))
    .map((name) => `${name} (${names[name]})`);
}
