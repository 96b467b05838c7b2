// The power source (powerSource.ts): mains or battery, and whether prefetch is allowed on it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PowerSource, linuxPowerState, prefetchAllowed } from '../../extension/completion/powerSource';

describe('power source for prefetch', () => {
  it('reads Linux power supplies: mains online → ac, battery only → battery, none → ac (desktop)', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-power-'));
    const supply = (name: string, type: string, online?: string) => {
      fs.mkdirSync(path.join(root, name));
      fs.writeFileSync(path.join(root, name, 'type'), `${type}\n`);
      if (online !== undefined) fs.writeFileSync(path.join(root, name, 'online'), `${online}\n`);
    };
    assert.equal(await linuxPowerState(root), 'ac');
    supply('BAT0', 'Battery');
    supply('AC', 'Mains', '0');
    assert.equal(await linuxPowerState(root), 'battery');
    fs.writeFileSync(path.join(root, 'AC', 'online'), '1\n');
    assert.equal(await linuxPowerState(root), 'ac');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('onAC allows prefetch only once mains power is known', async () => {
    const power = new PowerSource(async () => 'battery');
    assert.equal(prefetchAllowed('onAC', power), false);
    await power.settled();
    assert.equal(prefetchAllowed('onAC', power), false);
    assert.equal(prefetchAllowed('always', power), true);
    const ac = new PowerSource(async () => 'ac');
    ac.current();
    await ac.settled();
    assert.equal(prefetchAllowed('onAC', ac), true);
    assert.equal(prefetchAllowed('off', ac), false);
  });
});
