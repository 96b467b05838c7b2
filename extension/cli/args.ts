// A small declarative argument parser for the `tandem` CLI. Each command declares its options
// once; the same declaration parses argv and writes the --help text, so help cannot drift.
// Pure: no I/O.

/** The command line is wrong (exit code 2). */
export class UsageError extends Error {
  readonly code = 'USAGE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionKind = 'string' | 'int' | 'flag' | 'list';

export interface OptionSpec {
  name: string;
  kind: OptionKind;
  /** Placeholder in help, e.g. FILE. */
  value?: string;
  description: string;
  required?: boolean;
  choices?: readonly string[];
  min?: number;
  /** Shown in help; applied by the command's own defaults. */
  defaultText?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  options: readonly OptionSpec[];
  /** Extra lines under the options. */
  notes?: readonly string[];
}

export type OptionValue = string | number | boolean | string[];
export type ParsedOptions = Record<string, OptionValue | undefined>;

export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', kind: 'flag', description: 'print exactly one JSON object on stdout (errors go to stderr)' },
  { name: 'help', kind: 'flag', description: 'show this help' },
];

/** Parses `--name value`, `--name=value`, repeated or space-separated lists (`--context a b`). */
export function parseOptions(spec: CommandSpec, argv: readonly string[]): ParsedOptions {
  const options = [...spec.options, ...COMMON_OPTIONS];
  const byName = new Map(options.map((o) => [o.name, o]));
  const parsed: ParsedOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h') {
      parsed.help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`${spec.name}: unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const option = byName.get(name);
    if (!option) throw new UsageError(`${spec.name}: unknown option --${name} (see tandem ${spec.name} --help)`);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (option.kind === 'flag') {
      if (inline !== undefined) throw new UsageError(`${spec.name}: --${name} takes no value`);
      parsed[name] = true;
      continue;
    }
    if (option.kind === 'list') {
      const values = (parsed[name] as string[] | undefined) ?? [];
      if (inline !== undefined) values.push(inline);
      else {
        const start = values.length;
        while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) values.push(argv[++i]);
        if (values.length === start) throw new UsageError(`${spec.name}: --${name} needs at least one ${option.value ?? 'value'}`);
      }
      parsed[name] = values;
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) {
        throw new UsageError(`${spec.name}: --${name} needs a value (${option.value ?? option.kind})`);
      }
      raw = argv[++i];
    }
    if (parsed[name] !== undefined) throw new UsageError(`${spec.name}: --${name} was given twice`);
    parsed[name] = convert(spec, option, raw);
  }
  if (!parsed.help) {
    for (const option of spec.options) {
      if (option.required && parsed[option.name] === undefined) {
        throw new UsageError(`${spec.name}: --${option.name} is required (see tandem ${spec.name} --help)`);
      }
    }
  }
  return parsed;
}

function convert(spec: CommandSpec, option: OptionSpec, raw: string): string | number {
  if (option.kind === 'int') {
    if (!/^[+-]?\d+$/.test(raw.trim()))
      throw new UsageError(`${spec.name}: --${option.name} must be an integer, got ${JSON.stringify(raw)}`);
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new UsageError(`${spec.name}: --${option.name} is out of range: ${raw}`);
    if (option.min !== undefined && n < option.min)
      throw new UsageError(`${spec.name}: --${option.name} must be ≥ ${option.min}, got ${n}`);
    return n;
  }
  if (option.choices && !option.choices.includes(raw)) {
    throw new UsageError(`${spec.name}: --${option.name} must be one of ${option.choices.join(', ')}; got ${JSON.stringify(raw)}`);
  }
  return raw;
}

export function formatHelp(spec: CommandSpec): string {
  const options = [...spec.options, ...COMMON_OPTIONS];
  const signature = (o: OptionSpec) => {
    if (o.kind === 'flag') return `--${o.name}`;
    const value = o.choices ? o.choices.join('|') : (o.value ?? (o.kind === 'int' ? 'N' : 'VALUE'));
    return `--${o.name} ${value}${o.kind === 'list' ? '…' : ''}`;
  };
  const usage = spec.options.map((o) => (o.required ? signature(o) : `[${signature(o)}]`)).join(' ');
  const width = Math.max(...options.map((o) => signature(o).length));
  const lines = [
    `Usage: tandem ${spec.name} ${usage} [--json]`,
    '',
    spec.summary,
    '',
    'Options:',
    ...options.map((o) => {
      const extra = [o.required ? 'required' : '', o.defaultText ? `default: ${o.defaultText}` : ''].filter(Boolean).join('; ');
      return `  ${signature(o).padEnd(width)}  ${o.description}${extra ? ` (${extra})` : ''}`;
    }),
  ];
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return `${lines.join('\n')}\n`;
}

/** `\n`, `\t`, `\r` and `\\` in a --stop value, so newlines can be typed in a shell. */
export function unescapeStop(value: string): string {
  return value.replace(/\\([ntr\\])/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\' })[c] ?? c);
}
