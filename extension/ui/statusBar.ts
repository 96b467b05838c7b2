// The status bar item: engine state, in-flight completions and explanations, and the stats of the
// last completion (and explanation) in its tooltip. Clicking runs `clickCommand`: the status menu
// (ui/statusMenu.ts). Purely event-driven: no timers, so an idle editor costs nothing.
import * as vscode from 'vscode';
import type { BatteryMode } from '../completion/powerSource';
import { DisposableStore } from '../common/disposable';
import type { EngineClient } from '../engine/client';
import type { CompletionStats, DeviceInfo } from '../engine/native';
import type { CompletionActivity } from '../completion/inlineProvider';
import type { ServerStatus } from '../engine/server/serverConnection';
import { describeStatus } from './statusView';
import type { TandemSettings } from './settings';

export class StatusBar implements CompletionActivity, vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly store = new DisposableStore();
  private inFlight = 0;
  private lastStats?: CompletionStats;
  private lastError?: string;
  private modelError?: string;
  private explaining = 0;
  private lastExplainStats?: CompletionStats;
  private devices?: DeviceInfo[];
  private battery: BatteryMode = 'normal';
  private server?: ServerStatus;

  /** For ExplainDeps.activity: explanations show "generating" and their own stats line. */
  readonly explainActivity: CompletionActivity = {
    started: () => {
      this.explaining++;
      this.refresh();
    },
    finished: (stats?: CompletionStats) => {
      this.explaining = Math.max(0, this.explaining - 1);
      if (stats && stats.generatedTokens > 0) this.lastExplainStats = stats;
      this.refresh();
    },
  };

  constructor(
    private readonly engine: Pick<EngineClient, 'state' | 'onDidChangeState'>,
    private readonly settings: () => Pick<TandemSettings, 'enable' | 'model'>,
    /** What a click runs: the status menu command (ui/statusMenu.ts). */
    clickCommand: string,
  ) {
    this.item = this.store.add(vscode.window.createStatusBarItem('tandem.status', vscode.StatusBarAlignment.Right, 100));
    this.item.name = 'Tandem';
    this.item.command = clickCommand;
    this.store.add(engine.onDidChangeState(() => this.refresh()));
    this.refresh();
    this.item.show();
  }

  started(): void {
    this.inFlight++;
    this.refresh();
  }

  finished(stats?: CompletionStats, error?: Error): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (stats && stats.stopReason !== 'cancelled') this.lastStats = stats;
    if (stats || error) this.lastError = error?.message;
    this.refresh();
  }

  /** The devices the engine sees (asked once per model load, never while idle). */
  setDevices(devices: DeviceInfo[]): void {
    this.devices = devices;
    this.refresh();
  }

  /** The battery mode in effect changed (registration.ts notices it when a request reads it). */
  setBatteryMode(mode: BatteryMode): void {
    this.battery = mode;
    this.refresh();
  }

  /** tandem.engine.kind is server: its host and state (undefined: the local engine). */
  setServer(server: ServerStatus | undefined): void {
    this.server = server;
    this.refresh();
  }

  /** Shows a model load failure until clearErrors(). */
  setModelError(message: string): void {
    this.modelError = message;
    this.refresh();
  }

  /** Settings changed or the engine restarted: earlier errors no longer describe the state. */
  clearErrors(): void {
    this.modelError = undefined;
    this.lastError = undefined;
    this.refresh();
  }

  refresh(): void {
    const settings = this.settings();
    const view = describeStatus({
      enabled: settings.enable,
      modelConfigured: !!settings.model.path,
      engine: this.engine.state,
      generating: this.inFlight > 0,
      modelError: this.modelError,
      lastError: this.lastError,
      lastStats: this.lastStats,
      explaining: this.explaining > 0,
      lastExplainStats: this.lastExplainStats,
      devices: this.devices,
      battery: this.battery,
      server: this.server,
    });
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.kind === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.store.dispose();
  }
}
