/**
 * `phaselock/show`: show control — a typed client for mpv's JSON IPC (requests with ids and
 * timeouts, typed events, property observation, reconnect when mpv restarts), and
 * `ShowPlayer`, which plays a show's media in mpv from a DAW's transport (`ShowTransport`):
 * the arm/fire rule, pause, seek, drift correction, cue lists. L0/L1: the client runs on an
 * injected runtime's stream port; on Node pass `nodeRuntime()` (package root), which also
 * exports `spawnMpv` to start mpv with its IPC socket.
 * @example
 * import { nodeRuntime, spawnMpv } from 'phaselock';
 * import { MpvClient } from 'phaselock/show';
 * await using player = await spawnMpv({ socketPath: '/run/show/mpv.sock', fullscreen: true });
 * await using mpv = await new MpvClient(nodeRuntime(), { socket: player.socketPath }).open();
 * mpv.on('state', (s) => console.log('mpv', s));
 * await mpv.command('loadfile', '/srv/show/act1.mp4');
 * @example
 * // A show from a DAW's transport (a followed MIDI clock is a ShowTransport as it is; a Link
 * // session through LinkShowTransport):
 * const cues = parseCueList(readFileSync('show.json', 'utf8'), { baseDir: '/srv/show', fileExists: existsSync });
 * await using show = new ShowPlayer(runtime, transport, mpv, { cues }).open();
 * show.on('fired', (at) => console.log('show fired', at));
 * show.on('warning', (w) => console.warn(w.message));
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
export {
  CueListError,
  mediaCueList,
  parseCueList,
  parseSongPosition,
  validateCueList,
  type Cue,
  type CueAction,
  type CueList,
  type CueListOptions,
  type CueProblem,
  type CueValue,
} from './cue-list.ts';
export { parseCueListYaml } from './cue-list-yaml.ts';
export { cuesCrossed, cueStateAt, nextCueBeats, type CueState } from './cue-state.ts';
export { DriftController, type DriftAction, type DriftControllerOptions } from './drift-controller.ts';
export {
  ShowPlayer,
  type DriftStats,
  type ShowPlayerEvents,
  type ShowPlayerOptions,
  type ShowPlayerRuntime,
  type ShowPosition,
  type ShowState,
} from './show-player.ts';
export type { ShowTransport, ShowTransportEvent, ShowTransportEvents } from './show-transport.ts';
export {
  LATE_START_MICROS,
  LinkShowTransport,
  RENUMBER_MIN_BEATS,
  type LinkShowTransportEvent,
  type LinkShowTransportEvents,
  type LinkShowTransportOptions,
} from './link-show-transport.ts';
