/**
 * Bonjour for RTP-MIDI (src/node/rtpmidi/mdns.ts) with real mDNS: one process advertises
 * `_apple-midi._udp`, another browses. Multicast never leaves the private network namespaces
 * made here: one with only `lo` (a loopback-only host, where bonjour-service alone would
 * publish no A record), and two joined by a veth pair (a LAN of two hosts).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { LinePeer, Netns, waitFor } from '../interop/harness.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const DRIVER = path.join(HERE, 'mdns-driver.ts');

interface Session { name: string; host: string; address: string; addresses: string[]; port: number }

function startDriver(ns: Netns, args: string[], label: string): Promise<LinePeer> {
  return LinePeer.start(ns.exec(process.execPath, ['--import', 'tsx', DRIVER, ...args], { cwd: ROOT }), label, 20_000);
}

async function browse(peer: LinePeer, ms: number): Promise<Session[]> {
  return (await peer.command(`browse ${ms}`, ms + 5000)).sessions as Session[];
}


describe('mDNS on a loopback-only host (one namespace, lo only)', () => {
  let ns: Netns;
  const peers: LinePeer[] = [];
  before(async () => {
    ns = await Netns.create('plmdns');
  });
  after(async () => {
    for (const p of peers) await p.close();
    await ns?.close();
  });

  it('a browser finds the advertised name and port, the SRV target in .local and an A record for 127.0.0.1', async () => {
    const ad = await startDriver(ns, ['advertise', '--name', 'Stage Laptop', '--port', '5004', '--host', 'stagebox'], 'advertiser');
    peers.push(ad);
    const ready = ad.events.find((e) => e.event === 'ready')!;
    assert.deepEqual({ name: ready.name, host: ready.host, port: ready.port }, { name: 'Stage Laptop', host: 'stagebox.local', port: 5004 });
    const browser = await startDriver(ns, ['idle'], 'browser');
    peers.push(browser);
    const sessions = await browse(browser, 1500);
    const found = sessions.find((s) => s.name === 'Stage Laptop');
    assert.ok(found, `not found among ${JSON.stringify(sessions)}`);
    assert.equal(found.port, 5004);
    assert.equal(found.host, 'stagebox.local');
    assert.equal(found.address, '127.0.0.1');
    assert.deepEqual(found.addresses, ['127.0.0.1'], 'the A record the library leaves out on a loopback-only host');
  });

  it('a second advertisement of the same name is refused (E_PROTOCOL), another name is not', async () => {
    const dup = await startDriver(ns, ['idle'], 'dup').catch((err: Error) => assert.fail(err));
    peers.push(dup);
    const child = ns.exec(process.execPath, ['--import', 'tsx', DRIVER, 'advertise', '--name', 'Stage Laptop', '--port', '5006'], { cwd: ROOT });
    const clash = new LinePeer(child, 'clash');
    const error = await clash.waitForEvent((e) => e.event === 'error' || e.event === 'ready', 20_000);
    assert.equal(error.event, 'error');
    assert.equal(error.code, 'E_PROTOCOL');
    assert.match(String(error.message), /Stage Laptop.*already advertised/);
    await clash.waitForExit(5000);
    const other = await startDriver(ns, ['advertise', '--name', 'Visuals', '--port', '5006'], 'other');
    peers.push(other);
    const names = (await browse(dup, 1500)).map((s) => s.name).sort();
    assert.deepEqual(names, ['Stage Laptop', 'Visuals']);
  });

  it('a watching browser sees a session come up, then go down on its goodbye', async () => {
    const watcher = await startDriver(ns, ['watch'], 'watcher');
    peers.push(watcher);
    const from = watcher.events.length;
    const ad = await startDriver(ns, ['advertise', '--name', 'Short Lived', '--port', '5008'], 'short');
    await watcher.waitForEvent((e) => e.event === 'up' && e.session.name === 'Short Lived', 5000, from);
    await ad.close();
    const down = await watcher.waitForEvent((e) => e.event === 'down' && e.session.name === 'Short Lived', 5000, from);
    assert.equal(down.session.port, 5008);
    const left = (await watcher.command('sessions')).sessions as Session[];
    assert.ok(!left.some((s) => s.name === 'Short Lived'), 'gone from the list');
  });
});

describe('mDNS across a veth link (two namespaces)', () => {
  let a: Netns;
  let b: Netns;
  const peers: LinePeer[] = [];
  before(async () => {
    a = await Netns.create('plmdnsa');
    b = await Netns.create('plmdnsb');
    await a.ip('link', 'add', 'mda', 'type', 'veth', 'peer', 'name', 'mdb', 'netns', b.name);
    await a.ip('addr', 'add', '10.213.0.1/24', 'dev', 'mda');
    await b.ip('addr', 'add', '10.213.0.2/24', 'dev', 'mdb');
    await a.ip('link', 'set', 'mda', 'up');
    await b.ip('link', 'set', 'mdb', 'up');
    for (const [ns, dev] of [[a, 'mda'], [b, 'mdb']] as const) {
      await waitFor(async () => /LOWER_UP/.test(await ns.ip('-o', 'link', 'show', dev)), { what: `${dev} running` });
    }
  });
  after(async () => {
    for (const p of peers) await p.close();
    await a?.close();
    await b?.close();
  });

  it("the other host finds the session at the advertiser's address on the link", async () => {
    const ad = await startDriver(a, ['advertise', '--name', 'Ableton Laptop', '--port', '5004', '--host', 'laptop', '--interface', '10.213.0.1'], 'advertiser');
    peers.push(ad);
    const browser = await startDriver(b, ['idle', '--interface', '10.213.0.2'], 'browser');
    peers.push(browser);
    const sessions = await browse(browser, 2000);
    const found = sessions.find((s) => s.name === 'Ableton Laptop');
    assert.ok(found, `not found among ${JSON.stringify(sessions)}`);
    assert.deepEqual({ host: found.host, address: found.address, port: found.port }, { host: 'laptop.local', address: '10.213.0.1', port: 5004 });
    assert.ok(!found.addresses.includes('127.0.0.1'), 'no loopback A record on a host with a real interface');
  });
});
