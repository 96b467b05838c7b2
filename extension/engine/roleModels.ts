// What EngineClient knows of the model of each role (protocol.ts ModelRole) in the engine host:
// the load asked for last ("wanted") and the model the host holds ("loaded"). The roles differ
// in two ways, both following from the explain model being an optional second model in memory:
// the host frees the old explain model before loading the next (a completion model serves until
// its successor is ready), and after a host restart only the completion model is loaded again
// (the next explanation loads its model again).
import type { ModelInfo } from './native';
import type { LoadModelParams, ModelRole } from './protocol';

/** A model as the client knows it: the load request it came from and what the engine reported. */
export interface LoadedModel {
  params: LoadModelParams;
  info: ModelInfo;
}

interface RoleModel {
  /** The load asked for last (undefined after an unload): a reply to an older request must not
   *  mark a model loaded that the host has replaced or freed since. */
  wanted?: LoadModelParams;
  loaded?: LoadedModel;
}

export function roleOf(params: LoadModelParams): ModelRole {
  return params.role ?? 'completion';
}

export class RoleModels {
  private readonly roles = new Map<ModelRole, RoleModel>();

  /** The load of the role asked for last; the completion model's is reloaded after a crash. */
  wanted(role: ModelRole): LoadModelParams | undefined {
    return this.roles.get(role)?.wanted;
  }

  /** The model the host holds for the role (the completion model: or is restoring after a crash). */
  loaded(role: ModelRole): LoadedModel | undefined {
    return this.roles.get(role)?.loaded;
  }

  /** Whether `params` is still the load wanted for its role (no newer load or unload since). */
  isWanted(params: LoadModelParams): boolean {
    return this.roles.get(roleOf(params))?.wanted === params;
  }

  /** A load was asked for: it is the one wanted now. */
  requested(params: LoadModelParams): void {
    const role = this.role(roleOf(params));
    role.wanted = params;
    if (roleOf(params) === 'explain') role.loaded = undefined; // the host frees the old one before loading
  }

  /** The host loaded `params`; false (nothing noted) when a newer load or an unload came since. */
  succeeded(params: LoadModelParams, info: ModelInfo): boolean {
    if (!this.isWanted(params)) return false;
    this.role(roleOf(params)).loaded = { params, info };
    return true;
  }

  /** The wanted load `params` failed: the host keeps the model it held (none after a restart, or
   *  for the explain role, whose old model it freed first), which is wanted again. Returns it. */
  failed(params: LoadModelParams, hostRuns: boolean): LoadedModel | undefined {
    const role = this.role(roleOf(params));
    role.wanted = hostRuns && role.loaded && role.loaded.params !== params ? role.loaded.params : undefined;
    if (!role.wanted) role.loaded = undefined;
    return role.loaded;
  }

  /** The role's model is unloaded, or given up: nothing is wanted. */
  forget(role: ModelRole): void {
    this.roles.delete(role);
  }

  /** A new host process holds no model; only the completion model is loaded again. */
  newProcess(): void {
    const explain = this.roles.get('explain');
    if (explain) explain.loaded = undefined;
  }

  private role(role: ModelRole): RoleModel {
    let model = this.roles.get(role);
    if (!model) {
      model = {};
      this.roles.set(role, model);
    }
    return model;
  }
}
