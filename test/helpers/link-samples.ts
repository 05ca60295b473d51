// Hand-built Link messages covering every message shape and payload entry kind, shared by
// the codec round-trip tests and the codec fuzzer. Each sample is in the canonical form the
// decoder produces, so `decode(encode(v))` deep-equals `v`.
import { MessageType, type DiscoveryMessage } from '../../src/link/discovery-codec.ts';
import { PING, PONG, type MeasurementMessage } from '../../src/link/measurement-codec.ts';
import { fourcc } from '../../src/link/payload.ts';

const MAX = Number.MAX_SAFE_INTEGER;

export const discoverySamples: Record<string, DiscoveryMessage> = {
  'alive, plain Link IPv4 peer (the captured 107-byte shape)': {
    type: MessageType.Alive,
    ttl: 5,
    groupId: 0,
    nodeId: '6841524e5a542331',
    state: {
      timeline: { microsPerBeat: 500000, beatOrigin: 999842, timeOrigin: 0 },
      sessionId: '6841524e5a542331',
      startStop: { isPlaying: false, beats: 0, timestamp: 0 },
      measurementV4: { address: '127.0.0.1', port: 42802 },
    },
  },
  'alive with every entry kind and unknown keys': {
    type: MessageType.Alive,
    ttl: 5,
    groupId: 0,
    nodeId: '0123456789abcdef',
    state: {
      timeline: { microsPerBeat: 483871, beatOrigin: -7004328, timeOrigin: -3002074 },
      sessionId: 'fedcba9876543210',
      startStop: { isPlaying: true, beats: 9010386, timestamp: 4005123 },
      measurementV4: { address: '192.168.77.1', port: 65535 },
      measurementV6: { address: 'fe80::1c2b:3aff:fe4d:5e6f', port: 20808 },
      audioV4: { address: '10.0.0.255', port: 0 },
      audioV6: { address: '2001:db8::ff00:42:8329', port: 1 },
      unknown: [
        { key: fourcc('xtra'), value: Uint8Array.of(1, 2, 3) },
        { key: fourcc('tcap'), value: Uint8Array.of(0xff) },
        { key: 0xffffffff, value: new Uint8Array(40).fill(0xa5) },
      ],
    },
  },
  'response, LinkAudio IPv6 peer': {
    type: MessageType.Response,
    ttl: 5,
    groupId: 0,
    nodeId: '0000000000000000',
    state: {
      timeline: { microsPerBeat: 60060, beatOrigin: MAX, timeOrigin: -MAX },
      sessionId: 'ffffffffffffffff',
      startStop: { isPlaying: false, beats: -MAX, timestamp: MAX },
      measurementV6: { address: '::', port: 12345 },
      audioV6: { address: '::ffff:c000:280', port: 54321 },
    },
  },
  'response with only some entries': {
    type: MessageType.Response,
    ttl: 255,
    groupId: 0xffff,
    nodeId: '457a3b5f4c6e7b4c',
    state: { sessionId: '457a3b5f4c6e7b4c', audioV4: { address: '0.0.0.0', port: 80 } },
  },
  'alive with an empty payload': {
    type: MessageType.Alive,
    ttl: 5,
    groupId: 0,
    nodeId: '633e262161542163',
    state: {},
  },
  'byebye (the captured 20-byte shape)': {
    type: MessageType.ByeBye,
    ttl: 0,
    groupId: 0,
    nodeId: '457a3b5f4c6e7b4c',
  },
  'unknown message type (header only)': {
    type: 9,
    ttl: 1,
    groupId: 7,
    nodeId: '1122334455667788',
  },
};

export const measurementSamples: Record<string, MeasurementMessage> = {
  'first ping {__ht} (25 bytes)': { type: PING, hostTime: 123456789012 },
  'chain ping {__ht, _pgt} (41 bytes)': { type: PING, hostTime: 123456789999, prevGhostTime: 4005123 },
  'first pong {sess, __gt, __ht} (57 bytes)': {
    type: PONG,
    sessionId: '3833783e483a5d5c',
    ghostTime: 4005200,
    hostTime: 123456789012,
  },
  'chain pong {sess, __gt, __ht, _pgt} (73 bytes)': {
    type: PONG,
    sessionId: '3833783e483a5d5c',
    ghostTime: -1,
    hostTime: MAX,
    prevGhostTime: -MAX,
  },
  'empty ping': { type: PING },
  'unknown measurement type with a session only': { type: 200, sessionId: 'a5a5a5a5a5a5a5a5' },
};
