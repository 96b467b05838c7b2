// Tandem's log: the "Tandem" output channel, filtered by the `tandem.logLevel` setting.
//
// Two levels meet here, and this is the rule: `tandem.logLevel` (error|warn|info|debug, default
// info) decides what Tandem *writes*; VS Code's own level for the channel (the gear in the Output
// view, or "Developer: Set Log Level…", default Info) decides what the channel *shows* of that.
// Both default to info, so out of the box they agree. Raising tandem.logLevel to debug while the
// channel still shows Info would hide the debug lines silently, so the logger says so once, in
// the log, with the way to fix it. tandem.logLevel is read on every line (no reload needed) and
// also sets the level of llama.cpp's own lines in the engine host (engineLogLevel: warnings and
// errors by default, its info lines at debug), at start and whenever the setting changes.
//
// No vscode import: the channel is taken structurally (vscode.LogOutputChannel fits), so this
// is unit-tested in plain Node.

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** vscode.LogOutputChannel, structurally. `logLevel` follows vscode.LogLevel:
 *  Off 0, Trace 1, Debug 2, Info 3, Warning 4, Error 5. */
export interface LogChannel {
  error(message: string): void;
  warn?(message: string): void;
  info(message: string): void;
  debug?(message: string): void;
  show?(preserveFocus?: boolean): void;
  readonly logLevel?: number;
}

const RANK: Record<LogLevelName, number> = { error: 0, warn: 1, info: 2, debug: 3 };
/** vscode.LogLevel value at which the channel shows each of our levels. */
const VSCODE_LEVEL: Record<LogLevelName, number> = { error: 5, warn: 4, info: 3, debug: 2 };

/** The level of llama.cpp's own lines for a tandem.logLevel: its info lines (hundreds per model
 *  load) only at debug. */
export function engineLogLevel(setting: LogLevelName): 'error' | 'warn' | 'info' {
  return setting === 'error' ? 'error' : setting === 'debug' ? 'info' : 'warn';
}

export function shouldLog(setting: LogLevelName, level: LogLevelName): boolean {
  return RANK[level] <= RANK[setting];
}

export class TandemLog implements Logger {
  private warnedHidden?: LogLevelName;

  constructor(
    private readonly channel: LogChannel,
    /** The current tandem.logLevel (read per line: changes apply at once). */
    private readonly level: () => LogLevelName,
  ) {}

  error(message: string): void {
    this.write('error', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  debug(message: string): void {
    this.write('debug', message);
  }

  /** Reveals the channel ("Show Log"). */
  show(): void {
    this.channel.show?.(true);
  }

  /** A line-sink for code that takes `(line) => void` (EngineClient's log, the provider's). */
  at(level: LogLevelName): (message: string) => void {
    return (message) => this.write(level, message);
  }

  private write(level: LogLevelName, message: string): void {
    const setting = this.level();
    if (!shouldLog(setting, level)) return;
    this.noteHiddenLevel(setting);
    switch (level) {
      case 'error':
        return this.channel.error(message);
      case 'warn':
        return this.channel.warn ? this.channel.warn(message) : this.channel.info(`[warn] ${message}`);
      case 'info':
        return this.channel.info(message);
      case 'debug':
        return this.channel.debug ? this.channel.debug(message) : this.channel.info(`[debug] ${message}`);
    }
  }

  /** The setting asks for lines the channel's own level hides: say so once per setting. */
  private noteHiddenLevel(setting: LogLevelName): void {
    const shown = this.channel.logLevel;
    if (shown === undefined || shown === 0 || shown <= VSCODE_LEVEL[setting] || this.warnedHidden === setting) return;
    this.warnedHidden = setting;
    const message =
      `tandem.logLevel is "${setting}", but this Output channel shows fewer lines: set its level to ` +
      `${setting === 'debug' ? 'Debug' : setting === 'info' ? 'Info' : 'Warning'} (gear icon in the Output view, or "Developer: Set Log Level…" → Tandem) to see them.`;
    if (this.channel.warn) this.channel.warn(message);
    else this.channel.error(message);
  }
}
