/**
 * A test driver for src/node/rtpmidi/mdns.ts, spoken to with the JSON-line protocol of
 * test/interop/harness.ts (LinePeer). It multicasts, so tests run it only inside a network
 * namespace they created (Netns.exec).
 *
 *   node --import tsx mdns-driver.ts advertise --name NAME --port N [--host H] [--interface ADDR]
 *   node --import tsx mdns-driver.ts watch [--interface ADDR]
 *   node --import tsx mdns-driver.ts idle
 *
 * Events: {"event":"ready",...} once started; {"event":"up"|"down", session} while watching;
 * {"event":"warning", message}. Commands: `browse MS` → {"ok":true,"sessions":[...]},
 * `quit` → {"ok":true} then the advertisement says goodbye and the process exits.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { advertiseRtpMidi, browseRtpMidi, RtpMidiBrowser, type RtpMidiAdvertisement } from '../../src/node/rtpmidi/mdns.ts';
import { PhaselockError } from '../../src/core/errors.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, interface: { type: 'string' } },
});
const mode = positionals[0] ?? 'idle';
const interfaceAddress = values.interface;
const out = (obj: unknown) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const onWarning = (err: PhaselockError) => out({ event: 'warning', message: err.message });

let advertisement: RtpMidiAdvertisement | undefined;
let browser: RtpMidiBrowser | undefined;

async function start(): Promise<void> {
  if (mode === 'advertise') {
    advertisement = await advertiseRtpMidi({ name: values.name ?? 'phaselock-test', port: Number(values.port ?? 5004), host: values.host, interfaceAddress, onWarning });
    out({ event: 'ready', name: advertisement.name, host: advertisement.host, port: advertisement.port });
  } else if (mode === 'watch') {
    browser = new RtpMidiBrowser({ interfaceAddress, onWarning });
    browser.on('up', (session) => out({ event: 'up', session }));
    browser.on('down', (session) => out({ event: 'down', session }));
    await browser.open();
    out({ event: 'ready' });
  } else {
    out({ event: 'ready' });
  }
}

async function stop(): Promise<void> {
  await advertisement?.stop();
  await browser?.close();
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    const [cmd, arg] = line.trim().split(/\s+/);
    try {
      if (cmd === 'browse') {
        out({ ok: true, sessions: await browseRtpMidi({ timeoutMicros: Number(arg ?? 1500) * 1000, interfaceAddress, onWarning }) });
      } else if (cmd === 'sessions') {
        out({ ok: true, sessions: browser?.sessions ?? [] });
      } else if (cmd === 'quit') {
        await stop();
        out({ ok: true });
        process.exit(0);
      } else {
        out({ ok: false, error: `unknown command ${cmd}` });
      }
    } catch (err) {
      out({ ok: false, error: (err as Error).message, code: (err as PhaselockError).code });
    }
  });
});
process.on('SIGTERM', () => void stop().finally(() => process.exit(0)));

start().catch((err: PhaselockError) => {
  out({ event: 'error', code: err.code, message: err.message });
  process.exit(1);
});
