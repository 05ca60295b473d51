/**
 * `phaselock/show`: show control — a typed client for mpv's JSON IPC (requests with ids and
 * timeouts, typed events, property observation, reconnect when mpv restarts). L0/L1: the
 * client runs on an injected runtime's stream port; on Node pass `nodeRuntime()` (package
 * root), which also exports `spawnMpv` to start mpv with its IPC socket.
 * @example
 * import { nodeRuntime, spawnMpv } from 'phaselock';
 * import { MpvClient } from 'phaselock/show';
 * await using player = await spawnMpv({ socketPath: '/run/show/mpv.sock', fullscreen: true });
 * await using mpv = await new MpvClient(nodeRuntime(), { socket: player.socketPath }).open();
 * mpv.on('state', (s) => console.log('mpv', s));
 * await mpv.command('loadfile', '/srv/show/act1.mp4');
 * @module
 */
export {
  MpvClient,
  type MpvClientEvents,
  type MpvClientOptions,
  type MpvClientState,
  type MpvObservation,
  type MpvReconnectOptions,
  type MpvRequestOptions,
  type MpvRuntime,
} from './mpv-client.ts';
export { encodeMpvCommand } from './mpv-observers.ts';
export {
  classifyMpvMessage,
  isPropertyValue,
  MpvCommandError,
  type MpvEndFile,
  type MpvEvent,
  type MpvMessage,
  type MpvPropertyChange,
  type MpvPropertyName,
  type MpvPropertyTypes,
  type MpvReply,
  type MpvStartFile,
} from './mpv-protocol.ts';
