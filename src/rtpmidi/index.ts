/**
 * `phaselock/rtpmidi`: RTP-MIDI network MIDI (AppleMIDI sessions) — the session protocol (IN/OK/
 * NO/BY, clock sync CK, receiver feedback RS), the RTP-MIDI payload of RFC 6295 with the
 * recovery journal (RFC 6295 §4–6, RFC 4696), exact timestamps both ways and a jitter buffer.
 * L0/L1: codecs are pure, endpoints and sessions run on an injected `Runtime`; on Node pass
 * `nodeRuntime()` (package root). Bonjour discovery (`advertiseRtpMidi`, `browseRtpMidi`) is a
 * Node adapter exported from the package root. See docs/rtpmidi.md.
 * @example
 * import { nodeRuntime } from 'phaselock';
 * import { RtpMidiEndpoint } from 'phaselock/rtpmidi';
 * await using endpoint = await new RtpMidiEndpoint(nodeRuntime(), { name: 'stage', port: 5004 }).open();
 * endpoint.on('session', (s) => s.on('message', (m) => console.log(m.timeMicros, m.data)));
 * @module
 */
export {
  RtpMidiEndpoint,
  type RtpMidiEndpointOptions,
  type RtpMidiEndpointEvents,
  type InviteOptions,
  type RtpMidiInvitationInfo,
  type ReinviteOptions,
} from './endpoint.ts';
export { RtpMidiSession } from './session.ts';
export type { RtpMidiSessionEvents, RtpMidiSessionOptions, RtpMidiSessionState, RtpMidiSessionStats } from './session-types.ts';
export type { ClockSync, ClockSyncOptions } from './clock-sync.ts';
export type { PlayoutOptions } from './jitter-buffer.ts';
export { DEFAULT_SEND_AHEAD_MICROS } from './rtp-output.ts';
export {
  decodeAppleMidi, encodeAppleMidi, isAppleMidiCommand, APPLEMIDI_VERSION, type AppleMidiCommand,
} from './session-codec.ts';
export {
  decodeRtpMidi, encodeRtpMidi, rtpMidiLength, RTP_MIDI_PAYLOAD_TYPE, type RtpMidiPacket, type RtpMidiCommand,
} from './rtp-codec.ts';
export { packCommands } from './rtp-pack.ts';
export { splitSysex, SysexAssembler } from './sysex.ts';
export * from './journal/index.ts';
