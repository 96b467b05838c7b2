// VS Code adapter for the FIM check (models/fimCheck.ts, models/fimCheckRunner.ts): after each
// completion-model load the runner checks a file it has not checked before; verdicts live in the
// extension's globalState, so a file is warned about once, ever. A chat-like model gets one warning
// with the fix and a way to act on it; every verdict goes to the log.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../common/disposable';
import type { Event } from '../common/emitter';
import type { EngineClient } from '../engine/client';
import type { ModelInfo } from '../engine/native';
import { chatModelWarning } from '../models/fimCheck';
import { FimCheckMemory, FimCheckOutcome, FimCheckRecord, FimCheckRunner } from '../models/fimCheckRunner';
import { COMMAND_DOWNLOAD_MODEL, COMMAND_SELECT_MODEL } from '../models/modelCommands';
import type { Logger } from './log';

const MEMORY_KEY = 'tandem.fimCheck.files';
/** Verdicts kept (newest first): enough for every model anyone switches between. */
const MAX_REMEMBERED = 64;

const SELECT_MODEL = 'Select Model';
const DOWNLOAD_MODEL = 'Download Recommended Model';
const SHOW_LOG = 'Show Log';

export interface FimCheckWiring {
  model: { onLoaded: Event<{ info: ModelInfo }> };
  engine: Pick<EngineClient, 'complete'>;
  /** The extension's globalState. */
  state: Pick<vscode.Memento, 'get' | 'update'>;
  log: Logger & { show(): void };
}

/** Verdicts in a Memento, under one key. */
export function mementoMemory(state: Pick<vscode.Memento, 'get' | 'update'>): FimCheckMemory {
  const all = () => state.get<Record<string, FimCheckRecord>>(MEMORY_KEY) ?? {};
  return {
    recall: (key) => all()[key],
    remember: async (key, record) => {
      const newest = Object.entries({ ...all(), [key]: record })
        .sort(([, a], [, b]) => b.checkedAt - a.checkedAt)
        .slice(0, MAX_REMEMBERED);
      await state.update(MEMORY_KEY, Object.fromEntries(newest));
    },
  };
}

/** Runs the check after every completion-model load; dispose() stops a check in flight. */
export function registerFimCheck(wiring: FimCheckWiring): Disposable {
  const runner = new FimCheckRunner({
    engine: wiring.engine,
    memory: mementoMemory(wiring.state),
    statFile: (path) => fs.promises.stat(path),
  });
  const loaded = wiring.model.onLoaded(({ info }) => {
    void runner.check(info).then((outcome) => report(info, outcome, wiring.log));
  });
  return toDisposable(() => {
    loaded.dispose();
    runner.dispose();
  });
}

function report(info: ModelInfo, outcome: FimCheckOutcome, log: FimCheckWiring['log']): void {
  const name = info.name || info.path;
  if (outcome.kind === 'skipped') log.debug(`fill-in-the-middle check of ${name} not run: ${outcome.reason}`);
  if (outcome.kind !== 'checked') return;
  const { verdict, answer } = outcome;
  if (!verdict.chatLike) {
    log.info(`fill-in-the-middle check of ${name}: no sign of an instruct/chat model (answer ${JSON.stringify(answer)})`);
    return;
  }
  const warning = chatModelWarning(info, verdict);
  log.warn(`${warning} Its answer to the check: ${JSON.stringify(answer)}; ${verdict.modelSigns.join(' and ')}.`);
  void vscode.window.showWarningMessage(warning, SELECT_MODEL, DOWNLOAD_MODEL, SHOW_LOG).then((choice) => {
    if (choice === SELECT_MODEL) void vscode.commands.executeCommand(COMMAND_SELECT_MODEL);
    else if (choice === DOWNLOAD_MODEL) void vscode.commands.executeCommand(COMMAND_DOWNLOAD_MODEL);
    else if (choice === SHOW_LOG) log.show();
  });
}
