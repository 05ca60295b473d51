/**
 * The mpv of `phaselock show` (L3): attach to the mpv listening at `--mpv-socket`, or start one
 * there (`spawnMpv`: fullscreen, `--mpv-arg`s after ours; a private socket without
 * `--mpv-socket`). An mpv we started that dies is started again on the same socket (the client
 * reconnects and the show reloads, seeks and plays on), at most {@link MAX_RESTARTS} times a
 * minute; an mpv we attached to is waited for (it may be restarted by whoever runs it). The
 * client's connection changes are printed as `mpv lost` / `mpv back`.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Runtime } from '../core/runtime.ts';
import { mpvSocketAccepts, spawnMpv, type MpvProcess, type SpawnMpvOptions } from '../node/show/spawn-mpv.ts';
import { MpvClient } from '../show/mpv-client.ts';
import type { CommandIo } from './spec/command-spec.ts';

/** Restarts of a dead mpv allowed within a minute before the command gives up (exit 1). */
export const MAX_RESTARTS = 5;

export interface ShowMpvOptions {
  /** `--mpv-socket`; undefined: start mpv on a private socket. */
  socketPath: string | undefined;
  /** `--mpv-arg`s for the mpv we start. */
  args: readonly string[];
  /** For messages: `phaselock show`. */
  command: string;
  io: CommandIo;
  /** Prints a stdout line (host time first). */
  line(what: string): void;
  /** Aborted when mpv cannot be started again: the command ends with exit 1. */
  fatal: AbortController;
}

export interface ShowMpv {
  readonly client: MpvClient;
  readonly socketPath: string;
  /** Attached to an mpv that was running (not ours: left running on close). */
  readonly attached: boolean;
  /** Closes the client, ends the mpv we started, removes our private directory. */
  close(): Promise<void>;
}

/** Attaches or starts mpv and connects to it; undefined after saying on stderr why it could not. */
export async function openShowMpv(runtime: Runtime, o: ShowMpvOptions): Promise<ShowMpv | undefined> {
  const { io, command: cmd } = o;
  const ownDir = o.socketPath === undefined ? await mkdtemp(path.join(tmpdir(), 'phaselock-show-')) : undefined;
  const socketPath = ownDir ? path.join(ownDir, 'mpv.sock') : path.resolve(o.socketPath!);
  const removeDir = async () => { if (ownDir) await rm(ownDir, { recursive: true, force: true }); };
  const attached = !ownDir && await mpvSocketAccepts(socketPath);
  if (attached && o.args.length > 0) io.err(`${cmd}: warning: --mpv-arg ignored: attaching to the mpv listening at ${socketPath}`);
  const spawnOptions: SpawnMpvOptions = { socketPath, fullscreen: true, args: o.args };
  let proc: MpvProcess | undefined;
  if (!attached) {
    try {
      proc = await spawnMpv(spawnOptions);
    } catch (e) {
      io.err(`${cmd}: ${(e as Error).message}`);
      await removeDir();
      return undefined;
    }
  }
  const client = new MpvClient(runtime, { socket: socketPath, openTimeoutMicros: 2_000_000 });
  client.on('warning', (w) => io.err(`${cmd}: warning: ${w.message}`));
  try {
    await client.open();
  } catch (e) {
    io.err(`${cmd}: cannot talk to mpv at ${socketPath}: ${(e as Error).message}`);
    await client.close();
    await proc?.close();
    await removeDir();
    return undefined;
  }
  const onState = (s: 'connected' | 'disconnected') => o.line(s === 'connected' ? 'mpv back' : 'mpv lost');
  client.on('state', onState);

  let closing = false;
  /** A restart under way: close() waits for it, so no mpv is started behind our back. */
  let restarting: Promise<void> | undefined;
  const restarts: number[] = [];
  const watch = (p: MpvProcess) => void p.exited.then(async (exit) => {
    if (closing) return;
    const now = runtime.clock.micros();
    o.line(`mpv exited (${exit.signal ?? `code ${exit.code}`}): starting it again`);
    const last = p.output.slice(-3);
    if (last.length > 0) io.err(`${cmd}: mpv's last words: ${last.join(' | ')}`);
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - 60_000_000) restarts.shift();
    if (restarts.length > MAX_RESTARTS) {
      io.err(`${cmd}: mpv exited ${restarts.length} times within a minute: giving up`);
      o.fatal.abort();
      return;
    }
    restarting = spawnMpv(spawnOptions).then(
      async (next) => {
        proc = next;
        if (closing) await next.close();
        else watch(next);
      },
      (e: unknown) => {
        if (closing) return;
        io.err(`${cmd}: cannot start mpv again: ${(e as Error).message}`);
        o.fatal.abort();
      },
    );
    await restarting;
    restarting = undefined;
  });
  if (proc) watch(proc);

  return {
    client,
    socketPath,
    attached,
    async close() {
      closing = true;
      client.off('state', onState);
      await client.close();
      await restarting; // a restart under way ends the mpv it started itself (closing is set)
      await proc?.close();
      await removeDir();
    },
  };
}
