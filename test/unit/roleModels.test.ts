// What the client knows of each role's model: a reply to an older load never marks a model
// loaded; a failed load falls back to what the host still holds; the roles differ only where the
// host treats them differently.
import * as assert from 'node:assert/strict';
import type { ModelInfo } from '../../extension/engine/native';
import type { LoadModelParams } from '../../extension/engine/protocol';
import { RoleModels } from '../../extension/engine/roleModels';

const info = (path: string) => ({ path }) as ModelInfo;

describe('RoleModels', () => {
  it('only the load wanted last is noted as loaded', () => {
    const models = new RoleModels();
    const a: LoadModelParams = { path: '/a.gguf' };
    const b: LoadModelParams = { path: '/b.gguf' };
    models.requested(a);
    models.requested(b);
    assert.equal(models.succeeded(a, info('/a.gguf')), false);
    assert.equal(models.loaded('completion'), undefined);
    assert.equal(models.succeeded(b, info('/b.gguf')), true);
    assert.equal(models.loaded('completion')?.params, b);
  });

  it('a failed completion load keeps the model the host still serves, and wants it again', () => {
    const models = new RoleModels();
    const a: LoadModelParams = { path: '/a.gguf' };
    const bad: LoadModelParams = { path: '/bad.gguf' };
    models.requested(a);
    models.succeeded(a, info('/a.gguf'));
    models.requested(bad);
    assert.equal(models.loaded('completion')?.params, a, 'the old model serves until the new one is ready');
    assert.equal(models.failed(bad, true)?.params, a);
    assert.equal(models.wanted('completion'), a);
    models.requested(bad);
    assert.equal(models.failed(bad, false), undefined, 'no host running: nothing is held');
    assert.equal(models.wanted('completion'), undefined);
  });

  it('the explain model is freed before the next loads, and is not carried into a new host process', () => {
    const models = new RoleModels();
    const x: LoadModelParams = { path: '/x.gguf', role: 'explain' };
    const y: LoadModelParams = { path: '/y.gguf', role: 'explain' };
    const c: LoadModelParams = { path: '/c.gguf' };
    models.requested(c);
    models.succeeded(c, info('/c.gguf'));
    models.requested(x);
    models.succeeded(x, info('/x.gguf'));
    models.requested(y);
    assert.equal(models.loaded('explain'), undefined);
    assert.equal(models.failed(y, true), undefined);
    models.requested(x);
    models.succeeded(x, info('/x.gguf'));
    models.newProcess();
    assert.equal(models.loaded('explain'), undefined);
    assert.equal(models.loaded('completion')?.params, c, 'the completion model is restored, so it is kept');
    assert.equal(models.wanted('completion'), c);
  });

  it('forget() drops a role: a reply still in flight does not bring it back', () => {
    const models = new RoleModels();
    const x: LoadModelParams = { path: '/x.gguf', role: 'explain' };
    models.requested(x);
    models.forget('explain');
    assert.equal(models.succeeded(x, info('/x.gguf')), false);
    assert.equal(models.loaded('explain'), undefined);
  });
});
