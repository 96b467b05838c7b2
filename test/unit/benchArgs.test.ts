// `tandem bench` / `tandem models` argument parsing, and the pure parts of the bench suites
// (the e2e output comparison, cost-curve files). The suites on the real addon: test/native/bench.test.ts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMON_OPTIONS, UsageError, formatHelp } from '../../extension/cli/args';
import {
  ALL_SPECULATION_MODES,
  BENCH_SPECS,
  BENCH_SUITES,
  DEFAULT_COST_KS,
  formatBenchOverview,
  parseBench,
  parseKs,
  parseModes,
} from '../../extension/cli/benchArgs';
import { COMMANDS, parseModels } from '../../extension/cli/commands';
import { readCostCurveFile } from '../../extension/bench/cost';
import { findMismatches, firstDifference } from '../../extension/bench/outputComparison';

const usage = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.match(err.message, message);
    return true;
  });

describe('tandem bench arguments', () => {
  it('parses drafting with its defaults', () => {
    assert.deepEqual(parseBench(['drafting']), {
      suite: 'drafting',
      count: 150,
      seed: 1,
      sources: undefined,
      modes: undefined,
      costCurve: 'cpu-facts',
      vocab: 'qwen2',
      out: undefined,
      json: false,
    });
  });

  it('parses drafting options: repeated --source, --modes list, --cost-curve, --out, --json', () => {
    const cmd = parseBench([
      'drafting',
      '--count',
      '20',
      '--seed',
      '7',
      '--source',
      'a',
      'b',
      '--source=c',
      '--modes',
      'auto, pld,auto',
      '--cost-curve',
      'cost.json',
      '--out',
      'o',
      '--json',
    ]);
    assert.deepEqual(cmd, {
      suite: 'drafting',
      count: 20,
      seed: 7,
      sources: ['a', 'b', 'c'],
      modes: ['auto', 'pld'],
      costCurve: 'cost.json',
      vocab: 'qwen2',
      out: 'o',
      json: true,
    });
  });

  it('parses cost with its defaults and a --k list with ranges', () => {
    assert.deepEqual(parseBench(['cost']), {
      suite: 'cost',
      model: { file: undefined, shape: '0.5b', type: 'q4_0' },
      ks: DEFAULT_COST_KS,
      threads: undefined,
      device: 'auto',
      depth: 1000,
      reps: 3,
      out: undefined,
      json: false,
    });
    const cmd = parseBench([
      'cost',
      '--model',
      'm.gguf',
      '--k',
      '8-10,1,2,9',
      '--threads',
      '2',
      '--device',
      'cpu',
      '--depth',
      '0',
      '--reps',
      '5',
    ]);
    assert.ok(cmd !== 'overview' && !('help' in cmd) && cmd.suite === 'cost');
    assert.deepEqual(cmd.model, { file: 'm.gguf', shape: '0.5b', type: 'q4_0' });
    assert.deepEqual(cmd.ks, [1, 2, 8, 9, 10]);
    assert.equal(cmd.threads, 2);
    assert.equal(cmd.device, 'cpu');
    assert.equal(cmd.depth, 0);
    assert.equal(cmd.reps, 5);
  });

  it('parses e2e, putting the off baseline first when --modes lacks it', () => {
    assert.deepEqual(parseBench(['e2e']), {
      suite: 'e2e',
      model: { file: undefined, shape: 'small', type: 'q8_0' },
      count: 8,
      seed: 1,
      sources: undefined,
      maxTokens: 48,
      modes: undefined,
      threads: undefined,
      device: 'auto',
      contextSize: undefined,
      out: undefined,
      json: false,
    });
    const cmd = parseBench([
      'e2e',
      '--shape',
      'tiny',
      '--type',
      'f32',
      '--modes',
      'auto,sam',
      '--max-tokens',
      '12',
      '--count',
      '3',
      '--ctx-size',
      '2048',
    ]);
    assert.ok(cmd !== 'overview' && !('help' in cmd) && cmd.suite === 'e2e');
    assert.deepEqual(cmd.modes, ['off', 'auto', 'sam']);
    assert.deepEqual(cmd.model, { file: undefined, shape: 'tiny', type: 'f32' });
    assert.equal(cmd.maxTokens, 12);
    assert.equal(cmd.contextSize, 2048);
    const withOff = parseBench(['e2e', '--modes', 'pld,off']);
    assert.ok(withOff !== 'overview' && !('help' in withOff) && withOff.suite === 'e2e');
    assert.deepEqual(withOff.modes, ['pld', 'off']);
  });

  it('parses typing, with --alternatives checked against the engine limit', () => {
    const cmd = parseBench(['typing', '--bursts', '4', '--alternatives', '2']);
    assert.ok(cmd !== 'overview' && !('help' in cmd) && cmd.suite === 'typing');
    assert.equal(cmd.bursts, 4);
    assert.equal(cmd.alternatives, 2);
    const plain = parseBench(['typing']);
    assert.ok(plain !== 'overview' && !('help' in plain) && plain.suite === 'typing');
    assert.equal(plain.alternatives, 0);
    usage(() => parseBench(['typing', '--alternatives', '3']), /bench typing: --alternatives must be from 0 to 2, got 3/);
  });

  it('answers help and the overview', () => {
    assert.equal(parseBench([]), 'overview');
    assert.equal(parseBench(['--help']), 'overview');
    assert.deepEqual(parseBench(['e2e', '--help']), { help: 'e2e' });
    assert.deepEqual(parseBench(['cost', '-h']), { help: 'cost' });
    const overview = formatBenchOverview();
    for (const suite of BENCH_SUITES) assert.match(overview, new RegExp(`^  ${suite} +\\S`, 'm'));
    for (const suite of BENCH_SUITES) {
      const spec = BENCH_SPECS[suite];
      const help = formatHelp(spec);
      assert.match(help, new RegExp(`^Usage: tandem bench ${suite} `));
      for (const option of [...spec.options, ...COMMON_OPTIONS])
        assert.ok(help.includes(`--${option.name}`), `${spec.name} help lacks --${option.name}`);
    }
    assert.ok(COMMANDS.some((c) => c.name === 'bench') && COMMANDS.some((c) => c.name === 'models'));
  });

  it('reports bad arguments as usage errors that say what is allowed', () => {
    usage(() => parseBench(['speed']), /unknown suite "speed"; suites: drafting, cost, e2e/);
    usage(() => parseBench(['drafting', '--modes', 'auto,warp']), /unknown mode "warp"; modes: off, pld, sam, ngram-simple/);
    usage(() => parseBench(['drafting', '--modes', ' , ']), /--modes needs at least one mode/);
    usage(() => parseBench(['drafting', '--count', '0']), /--count must be ≥ 1/);
    usage(() => parseBench(['drafting', '--model', 'm.gguf']), /unknown option --model/);
    usage(() => parseBench(['cost', '--k', '0,1']), /--k values must be from 1 to 128/);
    usage(() => parseBench(['cost', '--k', '1-129']), /--k values must be from 1 to 128/);
    usage(() => parseBench(['cost', '--k', '4-2']), /ranges low-high/);
    usage(() => parseBench(['cost', '--k', 'x']), /--k takes numbers and ranges like 1,2,4,8-16; got "x"/);
    usage(() => parseBench(['cost', '--model', 'm.gguf', '--shape', 'tiny']), /--shape and --type describe a generated model/);
    usage(() => parseBench(['cost', '--shape', '7b']), /--shape must be one of 0.5b, small, tiny/);
    usage(() => parseBench(['e2e', '--device', 'tpu']), /--device must be one of auto, cpu, gpu, npu/);
  });

  it('parseKs and parseModes keep order rules: k sorted and distinct, modes in the given order without repeats', () => {
    assert.deepEqual(parseKs('t', '16,1-3,2'), [1, 2, 3, 16]);
    assert.equal(parseKs('t', '1-128').length, 128);
    assert.deepEqual(parseModes('t', 'sam,off,sam'), ['sam', 'off']);
    assert.deepEqual(parseModes('t', ALL_SPECULATION_MODES.join(',')), ALL_SPECULATION_MODES);
  });

  it('parses models', () => {
    assert.deepEqual(parseModels([]), { dirs: [], json: false });
    assert.deepEqual(parseModels(['--dir', 'a', 'b', '--json']), { dirs: ['a', 'b'], json: true });
    assert.equal(parseModels(['--help']), 'help');
    usage(() => parseModels(['--dir']), /--dir needs at least one DIR/);
  });
});

describe('bench suites: pure parts', () => {
  it('findMismatches lists every (prompt, mode) whose text differs from off, with the first differing offset', () => {
    const texts = {
      off: ['return a + b;', 'x = 1\n', 'same'],
      pld: ['return a + b;', 'x = 2\n', 'same'],
      auto: ['return a + b;!', 'x = 1\n', undefined],
      sam: ['return a + b;', 'x = 1\n', 'same'],
    };
    const found = findMismatches(texts);
    assert.deepEqual(
      found.map((m) => [m.mode, m.prompt, m.offset]),
      [
        ['pld', 1, 4],
        ['auto', 0, 13],
        ['auto', 2, 0],
      ],
    );
    assert.equal(found[0].expected, 'x = 1\n');
    assert.equal(found[0].actual, 'x = 2\n');
    assert.equal(found[2].actual, '(no output)');
    assert.deepEqual(findMismatches({ off: ['a', 'b'], auto: ['a', 'b'] }), []);
    assert.throws(() => findMismatches({ auto: ['a'] }), /baseline mode off was not run/);
  });

  it('firstDifference: the first differing UTF-16 offset, or the shorter length', () => {
    assert.equal(firstDifference('abc', 'abd'), 2);
    assert.equal(firstDifference('ab', 'abc'), 2);
    assert.equal(firstDifference('', ''), 0);
  });

  it('readCostCurveFile takes a bench cost JSON or a bare array and rejects anything else clearly', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-curve-'));
    try {
      const write = (name: string, data: unknown) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
        return file;
      };
      assert.deepEqual(
        readCostCurveFile(
          write('cost.json', {
            suite: 'cost',
            curve: [
              [1, 30],
              [2, 50],
            ],
          }),
        ),
        [
          [1, 30],
          [2, 50],
        ],
      );
      assert.deepEqual(
        readCostCurveFile(
          write('bare.json', [
            [1, 10],
            [64, 11],
          ]),
        ),
        [
          [1, 10],
          [64, 11],
        ],
      );
      assert.throws(() => readCostCurveFile(write('no-k1.json', [[2, 10]])), /lacks k = 1/);
      assert.throws(() => readCostCurveFile(write('bad.json', { curve: [[1, -3]] })), /is not a cost curve/);
      assert.throws(() => readCostCurveFile(write('text.json', 'not json')), /cannot read the cost curve/);
      assert.throws(() => readCostCurveFile(path.join(dir, 'missing.json')), /cannot read the cost curve/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
