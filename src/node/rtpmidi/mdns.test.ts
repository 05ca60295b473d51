// The pure parts of the Bonjour adapter. No socket is opened here (nothing multicasts outside a
// test namespace): the real advertise/browse runs are in test/rtpmidi/mdns.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PhaselockError } from '../../core/errors.ts';
import { advertiseRtpMidi, browseRtpMidi, loadBonjour, localHostName, mdnsHost, toDiscovered, withAddressRecords, type MdnsResponse } from './mdns.ts';

describe('loading bonjour-service', () => {
  it('a missing package is E_UNAVAILABLE naming it and how to install it', async () => {
    const missing = Object.assign(new Error("Cannot find package 'bonjour-service'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const err = await loadBonjour(() => Promise.reject(missing)).then(() => assert.fail('loaded'), (e: unknown) => e);
    assert.ok(err instanceof PhaselockError);
    assert.equal(err.code, 'E_UNAVAILABLE');
    assert.match(err.message, /optional dependency bonjour-service.*npm install bonjour-service/);
    assert.equal(err.cause, missing);
  });

  it('a package without the Bonjour class is E_UNAVAILABLE too', async () => {
    await assert.rejects(loadBonjour(() => Promise.resolve({ default: 42 })), { code: 'E_UNAVAILABLE' });
  });

  it('finds the class as a named export or as the default export', async () => {
    class Bonjour {}
    assert.equal(await loadBonjour(() => Promise.resolve({ Bonjour })), Bonjour);
    assert.equal(await loadBonjour(() => Promise.resolve({ default: Bonjour })), Bonjour);
  });
});

describe('host names', () => {
  it('the SRV target is the first label of the host name, in .local', () => {
    assert.equal(localHostName('stage-pc.example.org'), 'stage-pc.local');
    assert.equal(localHostName('Büro PC'), 'B-ro-PC.local');
    assert.equal(localHostName('___'), 'phaselock.local');
  });

  it('.local is appended once', () => {
    assert.equal(mdnsHost('laptop'), 'laptop.local');
    assert.equal(mdnsHost('laptop.local'), 'laptop.local');
    assert.equal(mdnsHost('laptop.LOCAL.'), 'laptop.LOCAL');
  });
});

describe('A records for a loopback-only host', () => {
  const srv = { name: 'x._apple-midi._udp.local', type: 'SRV', ttl: 120, data: { port: 5004, target: 'box.local' } };

  it('are added to a response that serves our SRV target without an address', () => {
    const res = withAddressRecords({ answers: [srv] }, 'box.local', ['127.0.0.1']) as MdnsResponse;
    assert.deepEqual(res.answers, [srv]);
    assert.deepEqual(res.additionals, [{ name: 'box.local', type: 'A', ttl: 120, data: '127.0.0.1' }]);
  });

  it('also when the response is a bare list of answers (an announcement)', () => {
    const res = withAddressRecords([srv], 'BOX.local', ['127.0.0.1']) as MdnsResponse;
    assert.deepEqual(res.answers, [srv]);
    assert.equal(res.additionals?.length, 1);
  });

  it('are not added when the response has an A record already, is a goodbye, serves another host, or there is no address', () => {
    const withA = { answers: [srv], additionals: [{ name: 'box.local', type: 'A', ttl: 120, data: '10.0.0.2' }] };
    assert.equal(withAddressRecords(withA, 'box.local', ['127.0.0.1']), withA);
    const goodbye = [{ ...srv, ttl: 0 }];
    assert.equal(withAddressRecords(goodbye, 'box.local', ['127.0.0.1']), goodbye);
    const other = { answers: [srv] };
    assert.equal(withAddressRecords(other, 'other.local', ['127.0.0.1']), other);
    assert.equal(withAddressRecords(other, 'box.local', []), other);
  });
});

describe('what a browser reports', () => {
  it('prefers an advertised IPv4 address, else any advertised address, else where the answer came from', () => {
    const base = { name: 'Stage', host: 'box.local', port: 5004, referer: { address: '10.1.0.9' } };
    assert.equal(toDiscovered({ ...base, addresses: ['fe80::1', '10.1.0.2'] })?.address, '10.1.0.2');
    assert.equal(toDiscovered({ ...base, addresses: ['fe80::1'] })?.address, 'fe80::1');
    assert.deepEqual(toDiscovered({ ...base, addresses: [] }), { name: 'Stage', host: 'box.local', address: '10.1.0.9', addresses: [], port: 5004 });
  });

  it('drops a record without a usable port, name or address', () => {
    assert.equal(toDiscovered({ name: 'S', host: 'h.local', port: 0, addresses: ['10.0.0.1'] }), undefined);
    assert.equal(toDiscovered({ name: 'S', host: 'h.local', port: 70000, addresses: ['10.0.0.1'] }), undefined);
    assert.equal(toDiscovered({ host: 'h.local', port: 5004, addresses: ['10.0.0.1'] }), undefined);
    assert.equal(toDiscovered({ name: 'S', host: 'h.local', port: 5004 }), undefined);
  });
});

describe('arguments (checked before any socket opens)', () => {
  it('advertise: a name of 1..63 bytes and a port in 1..65535', async () => {
    await assert.rejects(advertiseRtpMidi({ name: '', port: 5004 }), RangeError);
    await assert.rejects(advertiseRtpMidi({ name: 'é'.repeat(32), port: 5004 }), /1\.\.63 bytes/);
    await assert.rejects(advertiseRtpMidi({ name: 'ok', port: 0 }), /1\.\.65535/);
    await assert.rejects(advertiseRtpMidi({ name: 'ok', port: 5004.5 }), RangeError);
  });

  it('browse: a timeout in 0..60 s', async () => {
    await assert.rejects(browseRtpMidi({ timeoutMicros: -1 }), RangeError);
    await assert.rejects(browseRtpMidi({ timeoutMicros: Number.NaN }), RangeError);
    await assert.rejects(browseRtpMidi({ timeoutMicros: 61_000_000 }), /0\.\.60000000/);
  });
});
