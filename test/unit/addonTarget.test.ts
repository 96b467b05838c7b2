// A tandem.node built for another machine (platform VSIXs, docs/platforms.md) fails to load with a
// message naming both platforms, through the real loader (require). The headers are synthetic
// (a few bytes each); test/platforms does the same with the real cross-built addons.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addonMismatch, binaryPlatform, missingCpuFeatures } from '../../extension/engine/addonTarget';
import { loadAddon } from '../../extension/engine/native';

function elf(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.write('\x7fELF', 0, 'latin1');
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b[6] = 1;
  b.writeUInt16LE(3, 16); // shared object
  b.writeUInt16LE(machine, 18);
  return b;
}

function pe(machine: number): Buffer {
  const b = Buffer.alloc(0x100);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(machine, 0x84);
  return b;
}

describe('addon built for another platform', () => {
  let dir: string;
  const write = (name: string, bytes: Buffer) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    return f;
  };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-addon-target-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tells the platform from the header: ELF, PE and Mach-O, x64 and arm64', () => {
    assert.equal(binaryPlatform(write('a.node', elf(183))), 'linux-arm64');
    assert.equal(binaryPlatform(write('b.node', elf(62))), 'linux-x64');
    assert.equal(binaryPlatform(write('c.node', pe(0xaa64))), 'win32-arm64');
    assert.equal(binaryPlatform(write('d.node', pe(0x8664))), 'win32-x64');
    const macho = Buffer.alloc(32);
    macho.writeUInt32LE(0xfeedfacf, 0);
    macho.writeUInt32LE(0x0100000c, 4);
    assert.equal(binaryPlatform(write('e.node', macho)), 'darwin-arm64');
    assert.equal(binaryPlatform(write('f.node', Buffer.from('not a binary at all'))), undefined);
    assert.equal(binaryPlatform(path.join(dir, 'missing.node')), undefined);
  });

  it('a mismatch names both platforms and the VSIX to install; a match or an unknown file says nothing', () => {
    const arm = write('arm.node', elf(183));
    assert.match(
      addonMismatch(arm, 'linux', 'x64')!,
      /built for linux-arm64, but this is linux-x64.*Install the Tandem VSIX for linux-x64/,
    );
    assert.equal(addonMismatch(arm, 'linux', 'arm64'), undefined);
    assert.match(addonMismatch(write('win.node', pe(0x8664)), 'linux', 'x64')!, /built for win32-x64, but this is linux-x64/);
    assert.equal(addonMismatch(write('text.node', Buffer.from('hello')), 'linux', 'x64'), undefined);
  });

  it("loadAddon: the loader's failure on a foreign .node becomes that message (the original as its cause)", function () {
    const here = `${process.platform}-${process.arch}`;
    const foreign = here === 'linux-arm64' ? write('x.node', elf(62)) : write('x.node', elf(183));
    assert.throws(
      () => loadAddon(foreign),
      (err: Error) => {
        assert.match(err.message, new RegExp(`is built for linux-(arm64|x64), but this is ${here}`));
        assert.ok(err.cause instanceof Error, 'the loader error is kept as the cause');
        return true;
      },
    );
    // a broken file of no known format keeps the loader's own error
    assert.throws(
      () => loadAddon(write('junk.node', Buffer.from('junk'))),
      (err: Error) => !/is built for/.test(err.message),
    );
  });

  // /proc/cpuinfo feature lines of real machines (Linux 6.x)
  const neoverseN1 =
    'processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\n';
  const cortexA72 = 'processor\t: 0\nFeatures\t: fp asimd evtstrm crc32 cpuid\n';
  const linuxArm64Build = 'CPU : NEON = 1 | ARM_FMA = 1 | FP16_VA = 1 | DOTPROD = 1 | LLAMAFILE = 1 | REPACK = 1 | ';

  it("a CPU below the build's instruction sets is named before the first completion could crash", () => {
    assert.deepEqual(missingCpuFeatures(linuxArm64Build, neoverseN1, 'arm64'), []);
    assert.deepEqual(missingCpuFeatures(linuxArm64Build, cortexA72, 'arm64'), ['FP16_VA (asimdhp)', 'DOTPROD (asimddp)']);
    assert.deepEqual(missingCpuFeatures(`${linuxArm64Build}MATMUL_INT8 = 1 |`, neoverseN1, 'arm64'), ['MATMUL_INT8 (i8mm)']);
    const haswellBuild = 'CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | LLAMAFILE = 1 | REPACK = 1 | ';
    assert.deepEqual(missingCpuFeatures(haswellBuild, 'flags\t\t: fpu sse2 pni ssse3 sse4_1 sse4_2 avx\n', 'x64'), [
      'AVX2 (avx2)',
      'F16C (f16c)',
      'FMA (fma)',
      'BMI2 (bmi2)',
    ]);
    // no feature line (qemu-user shows the host's x86 flags to an arm64 process): cannot tell, no error
    assert.deepEqual(missingCpuFeatures(linuxArm64Build, 'flags\t\t: fpu sse2 avx2\n', 'arm64'), []);
    assert.deepEqual(missingCpuFeatures(haswellBuild, '', 'x64'), []);
  });
});
