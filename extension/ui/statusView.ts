// What the status bar shows for a given state: pure, so it is tested without VS Code.
import type { EngineState } from '../engine/client';
import { formatStats } from '../engine/formatStats';
import type { CompletionStats, DeviceInfo, Placement } from '../engine/native';
import type { BatteryMode } from '../completion/powerSource';
import type { ServerStatus } from '../engine/server/serverConnection';

/** "prefill on CUDA0, decode on CPU (op-offload)" — where a loaded model runs each phase. */
export function describePlacement(placement: Placement): string {
  const phases =
    placement.prefill.device === placement.decode.device
      ? `prefill and decode on ${placement.decode.device}`
      : `prefill on ${placement.prefill.device}, decode on ${placement.decode.device}`;
  return `${phases} (${placement.strategy})`;
}

export type StatusKind = 'disabled' | 'noModel' | 'loading' | 'ready' | 'generating' | 'error';

export interface StatusInput {
  enabled: boolean;
  modelConfigured: boolean;
  engine: EngineState;
  /** Completions in flight. */
  generating: boolean;
  /** Why the configured model could not be loaded (the engine may still hold an older one). */
  modelError?: string;
  /** The last completion error to show, if any. */
  lastError?: string;
  lastStats?: CompletionStats;
  /** An explanation is being generated. */
  explaining?: boolean;
  lastExplainStats?: CompletionStats;
  /** The devices the engine sees (tandem devices), once known. */
  devices?: DeviceInfo[];
  /** tandem.completion.onBattery in effect now ('normal' on mains power). */
  battery?: BatteryMode;
  /** Set while tandem.engine.kind is server: the host and how it answers (the local engine's
   *  state and model errors then do not apply). */
  server?: ServerStatus;
}

const BATTERY_NOTE: Record<BatteryMode, string> = {
  normal: '',
  reduced:
    'On battery: saving power (tandem.completion.onBattery = reduced): a longer pause after typing, shorter completions, no prefetch or pre-warm.',
  paused: 'On battery: automatic completions are paused (tandem.completion.onBattery = paused). Alt+\\ completes on request.',
};

/** "Devices: CPU (Intel Xeon, 23.5 GiB), CUDA0 (NVIDIA H100, 79.1 GiB)" */
export function describeDevices(devices: DeviceInfo[]): string {
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return `Devices: ${devices.map((d) => `${d.name} (${[d.description, d.memoryTotalBytes > 0 ? gib(d.memoryTotalBytes) : ''].filter(Boolean).join(', ')})`).join(', ')}`;
}

export interface StatusView {
  kind: StatusKind;
  text: string;
  tooltip: string;
}

/** The tooltip lines for one request's stats: the one-line summary (prompt and reused tokens,
 *  prefill, tokens/s, time to first token), then speculation and the device of each phase. */
export function describeStats(label: string, stats: CompletionStats): string {
  const lines = [`${label}: ${formatStats(stats)}`];
  const spec = stats.speculation;
  if (spec) {
    const rate = spec.draftedTokens > 0 ? ` (${Math.round((100 * spec.acceptedTokens) / spec.draftedTokens)}%)` : '';
    const perStep = spec.steps > 0 ? `, ${(stats.generatedTokens / spec.steps).toFixed(2)} tokens/step` : '';
    lines.push(`Speculation ${spec.mode}: ${spec.draftedTokens} drafted, ${spec.acceptedTokens} accepted${rate}${perStep}`);
  }
  const handover =
    stats.placement === 'handover' && stats.handoverMs !== undefined
      ? `; KV hand-over ${stats.handoverMs.toFixed(0)} ms, ${((stats.handoverBytes ?? 0) / 1048576).toFixed(1)} MiB`
      : '';
  lines.push(`Devices: prefill ${stats.prefillDevice || 'CPU'}, decode ${stats.decodeDevice || 'CPU'}${handover}`);
  const kv = stats.documentKv;
  if (kv && kv.limitBytes > 0) {
    const restored = stats.restoredTokens ? `; ${stats.restoredTokens} prompt tokens restored from it` : '';
    lines.push(
      `Document KV: ${kv.documents} of ${kv.maxDocuments} recent documents kept, ${mib(kv.bytes)} of ${mib(kv.limitBytes)} MiB${restored}`,
    );
  }
  return lines.join('\n');
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(bytes > 0 && bytes < 10 * 1048576 ? 1 : 0);
}

export function describeStatus(input: StatusInput): StatusView {
  const stats =
    (input.lastStats ? `\n\n${describeStats('Last completion', input.lastStats)}` : '') +
    (input.lastExplainStats ? `\n\n${describeStats('Last explanation', input.lastExplainStats)}` : '');
  if (!input.enabled)
    return {
      kind: 'disabled',
      text: '$(circle-slash) Tandem',
      tooltip:
        'Tandem completions are off; Alt+\\ (Tandem: Trigger Completion) still completes on request. Click for options (turn them on, select a model, show the log, explain a selection).',
    };
  if (input.server) return describeServerStatus(input, input.server, stats);
  if (!input.modelConfigured)
    return { kind: 'noModel', text: '$(warning) Tandem: no model', tooltip: 'Set tandem.model.path to a GGUF code model.' };
  if (input.modelError) {
    return { kind: 'error', text: '$(error) Tandem', tooltip: `Tandem could not load the model: ${input.modelError}` };
  }
  const engine = input.engine;
  switch (engine.kind) {
    case 'error':
      return { kind: 'error', text: '$(error) Tandem', tooltip: `Tandem error: ${engine.error.message}${stats}` };
    case 'crashed':
      return { kind: 'error', text: '$(error) Tandem', tooltip: `${engine.error.message}${stats}` };
    case 'starting':
      return { kind: 'loading', text: '$(loading~spin) Tandem', tooltip: 'Starting the engine…' };
    case 'loading':
      return {
        kind: 'loading',
        text: `$(loading~spin) Tandem ${Math.round(engine.progress * 100)}%`,
        tooltip: `Loading ${engine.modelPath}…`,
      };
    default:
      break;
  }
  if (input.lastError) return { kind: 'error', text: '$(error) Tandem', tooltip: `Tandem error: ${input.lastError}${stats}` };
  const placement = engine.kind === 'ready' && engine.model.placement ? `; ${describePlacement(engine.model.placement)}` : '';
  const model =
    engine.kind === 'ready' ? `${engine.model.name || engine.model.description}${placement}` : 'model loads on first completion';
  const battery = input.battery ?? 'normal';
  const batteryLabel = battery === 'normal' ? '' : ' (battery)';
  const batteryNote = BATTERY_NOTE[battery] ? `\n${BATTERY_NOTE[battery]}` : '';
  if (input.explaining && !input.generating) {
    return { kind: 'generating', text: `$(sync~spin) Tandem${batteryLabel}`, tooltip: `Explaining… (${model})${batteryNote}${stats}` };
  }
  if (input.generating) {
    return { kind: 'generating', text: `$(sync~spin) Tandem${batteryLabel}`, tooltip: `Generating… (${model})${batteryNote}${stats}` };
  }
  const devices = input.devices?.length ? `\n${describeDevices(input.devices)}` : '';
  const icon = battery === 'paused' ? '$(debug-pause)' : '$(check)';
  return { kind: 'ready', text: `${icon} Tandem${batteryLabel}`, tooltip: `Tandem is ready (${model}).${batteryNote}${devices}${stats}` };
}

/** The status while completions go to a llama-server: which host, and whether it answers. */
function describeServerStatus(input: StatusInput, server: ServerStatus, stats: string): StatusView {
  const where = `llama-server at ${server.host}`;
  const label = `Tandem: ${server.host}`;
  const model = server.model ? `${server.model}${server.slots ? `, ${server.slots} slot${server.slots === 1 ? '' : 's'}` : ''}` : '';
  switch (server.state) {
    case 'config':
      return { kind: 'error', text: '$(error) Tandem (server)', tooltip: `Tandem cannot use the server: ${server.error ?? ''}` };
    case 'declined':
      return {
        kind: 'disabled',
        text: `$(circle-slash) ${label}`,
        tooltip: `Sending code to ${server.host} was declined, so Tandem does not complete through it. Change tandem.engine.serverUrl or tandem.engine.kind, or run "Tandem: Restart Engine" to be asked again.`,
      };
    case 'error':
      return {
        kind: 'error',
        text: `$(error) ${label}`,
        tooltip: `Tandem completes through ${where}, which fails: ${server.error ?? ''}${stats}`,
      };
    case 'connecting':
      return { kind: 'loading', text: `$(loading~spin) ${label}`, tooltip: `Connecting to ${where}…` };
    default:
      break;
  }
  if (input.explaining && !input.generating)
    return { kind: 'generating', text: `$(sync~spin) ${label}`, tooltip: `Explaining… (${where})${stats}` };
  if (input.generating) return { kind: 'generating', text: `$(sync~spin) ${label}`, tooltip: `Generating… (${where})${stats}` };
  if (input.lastError) return { kind: 'error', text: `$(error) ${label}`, tooltip: `Tandem error (${where}): ${input.lastError}${stats}` };
  const ready =
    server.state === 'ready'
      ? `Tandem completes through ${where} (${model}).`
      : `Tandem completes through ${where}; it connects on the first completion.`;
  return { kind: 'ready', text: `$(cloud) ${label}`, tooltip: `${ready}${stats}` };
}
