/**
 * `-i, --interface` (issue 12): an interface this machine does not have — an unknown name, an
 * address no interface has, an interface that is down or has IPv6 addresses only — is a usage
 * error (exit 2) for every command that takes the option, naming the machine's interfaces; one
 * that is up with an IPv4 address is used. The machine is a private network namespace: `lo`,
 * plus veth interfaces made here; nothing joins Link outside it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { interfaceOptionProblem } from '../../src/cli/spec/common-options.ts';
import { COMMANDS } from '../../src/cli/registry.ts';
import { Netns, waitFor } from '../interop/harness.ts';
import { runIn, type RunResult } from './helpers.ts';

const v4 = (name: string, address: string) => ({ name, address, family: 'IPv4' as const, internal: false, prefixLength: 24 });

describe('the -i check (pure)', () => {
  const machine = { addresses: [v4('lo', '127.0.0.1'), v4('eth0', '192.168.1.4'), { ...v4('wg0', 'fd00::1'), family: 'IPv6' as const }], down: ['d0'] };

  it('accepts an interface that is up with an IPv4 address, by name or by address', () => {
    for (const entry of ['lo', 'eth0', '127.0.0.1', '192.168.1.4']) assert.equal(interfaceOptionProblem(entry, machine), undefined, entry);
  });

  it("names what is wrong and lists the machine's IPv4 interfaces", () => {
    const has = '(this machine has: lo 127.0.0.1, eth0 192.168.1.4)';
    assert.equal(interfaceOptionProblem('nosuch0', machine), `names no interface of this machine: nosuch0 ${has}`);
    assert.equal(interfaceOptionProblem('10.9.9.9', machine), `names no address of this machine: 10.9.9.9 ${has}`);
    assert.equal(interfaceOptionProblem('wg0', machine), `names an interface without an IPv4 address: wg0 ${has}`);
    assert.equal(interfaceOptionProblem('d0', machine), `names an interface that is down or has no address: d0 ${has}`);
    assert.equal(interfaceOptionProblem('fd00::1', machine), `names no interface of this machine: fd00::1 ${has}`);
  });
});

/** Exit 2, nothing on stdout, `phaselock: option '--interface' <what>` and the command's usage line. */
function assertInterfaceError(r: RunResult, what: RegExp, command: string): void {
  assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const [message, usage, end] = r.stderr.split('\n');
  assert.match(message!, /^phaselock: option '--interface' /);
  assert.match(message!, what);
  assert.match(message!, /\(this machine has: .*lo 127\.0\.0\.1.*\)$/, 'lists the interfaces there are');
  assert.match(usage!, new RegExp(`^usage: phaselock (\\[${command}\\]|${command}) `));
  assert.equal(end, '');
}

describe('-i in a network namespace', () => {
  let ns: Netns;
  const ip = (...args: string[]): Promise<string> => ns.ip(...args);

  before(async () => {
    ns = await Netns.create('plif');
    // veth pairs (not every kernel has the dummy driver); an end is running once both are up.
    await ip('link', 'add', 'down0', 'type', 'veth', 'peer', 'name', 'down0p'); // stays down
    await ip('link', 'add', 'six0', 'type', 'veth', 'peer', 'name', 'six0p');
    await ip('-6', 'addr', 'add', 'fd00:77::1/64', 'dev', 'six0', 'nodad');
    await ip('link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up0p');
    await ip('addr', 'add', '10.77.0.1/24', 'dev', 'up0');
    for (const name of ['six0', 'six0p', 'up0', 'up0p']) await ip('link', 'set', name, 'up');
    // The carrier comes up a moment later (only then does the OS list an interface as up).
    for (const name of ['six0', 'up0']) await waitFor(async () => /LOWER_UP/.test(await ip('-o', 'link', 'show', name)), { what: `${name} running` });
  });
  after(() => ns?.close());

  it('status -i nosuch0 and -i 10.9.9.9: exit 2 naming the entry and the interfaces there are', async () => {
    assertInterfaceError(await runIn(ns, ['status', '-i', 'nosuch0']), /names no interface of this machine: nosuch0 /, 'status');
    assertInterfaceError(await runIn(ns, ['status', '--interface=10.9.9.9']), /names no address of this machine: 10\.9\.9\.9 /, 'status');
    // The good one first does not make a bad one after it pass.
    assertInterfaceError(await runIn(ns, ['status', '-i', 'lo', '-i', 'nosuch0']), /nosuch0/, 'status');
  });

  it('an interface that is down, or has IPv6 addresses only, is refused with the reason', async () => {
    assertInterfaceError(await runIn(ns, ['peers', '-i', 'down0']), /names an interface that is down or has no address: down0 /, 'peers');
    assertInterfaceError(await runIn(ns, ['tempo', '120', '-i', 'six0']), /names an interface without an IPv4 address: six0 /, 'tempo');
  });

  it('every command that takes -i refuses an unknown interface the same way', async () => {
    const names = COMMANDS.filter((c) => 'interface' in c.options).map((c) => c.name);
    for (const expected of ['link', 'status', 'peers', 'tempo', 'play', 'stop', 'carabiner', 'clock', 'seq']) {
      assert.ok(names.includes(expected), `${expected} takes no -i any more`);
    }
    // Checked as the option is read: before missing arguments or required options are noticed.
    const results = await Promise.all(names.map((name) => runIn(ns, [name, '-i', 'nosuch0'])));
    results.forEach((r, i) => assertInterfaceError(r, /names no interface of this machine: nosuch0 /, names[i]!));
  });

  it('an interface that is up with an IPv4 address is used, by name or by address', async () => {
    for (const entry of ['up0', '10.77.0.1', 'lo']) {
      const r = await runIn(ns, ['status', '--json', '--timeout', '0.2', '-i', entry]);
      assert.equal(r.code, 0, `${entry}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).numPeers, 0);
    }
  });
});
