import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INCUMBENT_MICROS, MAX_TTL_SECONDS, NEW_IDS_PER_SOURCE, PeerTable, Rank } from './peer-table.ts';

const id = (n: number) => n.toString(16).padStart(16, '0');
const from = (n: number) => ({ address: `10.0.${n >> 8 & 255}.${n & 255}`, port: 20000 + (n % 1000) });
const state = (session: string, mepPort = 1) => ({ sessionId: session, measurementV4: { address: '10.0.0.1', port: mepPort } });

test('junk evicts junk, never an established peer; a returning id ranks above junk', () => {
  const t = new PeerTable(() => id(1), 0, 4);
  t.offer(id(100), 5, state(id(1)), from(100), 0); // our session
  t.offer(id(101), 5, state(id(7)), from(101), 0);
  t.offer(id(101), 5, state(id(7)), from(101), 1); // heard twice
  t.offer(id(102), 5, state(id(8)), from(102), 2); // once
  t.offer(id(103), 5, state(id(9)), from(103), 3); // once: the table is full
  const r = t.offer(id(104), 5, state(id(9)), from(104), 4);
  assert.equal(r.kind, 'added');
  assert.equal(r.kind === 'added' && r.evicted?.nodeId, id(102), 'the oldest entry heard once goes first');
  assert.ok(t.peers.has(id(100)) && t.peers.has(id(101)));
  // 102 comes back: remembered, so it ranks as heard twice and evicts junk heard once.
  const back = t.offer(id(102), 5, state(id(8)), from(102), 5);
  assert.equal(back.kind === 'added' && t.rank(back.peer), Rank.Repeat);
  assert.equal(back.kind === 'added' && back.evicted?.nodeId, id(103));
  assert.equal(t.rank(t.peers.get(id(100))!), Rank.Session);
});

test('a table full of established peers refuses newcomers heard once', () => {
  const t = new PeerTable(() => id(1), 0, 2);
  for (const n of [10, 11]) { t.offer(id(n), 5, state(id(7)), from(n), 0); t.offer(id(n), 5, state(id(7)), from(n), 1); }
  assert.equal(t.offer(id(12), 5, state(id(7)), from(12), 2).kind, 'full');
});

test('an id belongs to its endpoint: an impostor is refused while the owner speaks; a ByeBye counts from the owner only', () => {
  const t = new PeerTable(() => id(1), 0);
  t.offer(id(5), 5, state(id(1)), from(5), 0);
  assert.equal(t.offer(id(5), 5, state(id(9)), from(6), 1000).kind, 'impostor');
  assert.equal(t.peers.get(id(5))?.state.sessionId, id(1));
  assert.equal(t.bye(id(5), from(6)), false);
  // After the owner fell silent, the id may move (a reopened socket).
  assert.equal(t.offer(id(5), 5, state(id(9)), from(6), INCUMBENT_MICROS + 1).kind, 'updated');
  assert.equal(t.bye(id(5), from(6)), true);
});

test('ttl is capped; proven endpoints rank above repeats; new ids per source are limited', () => {
  const t = new PeerTable(() => id(1), 0);
  const r = t.offer(id(20), 255, state(id(7), 4242), from(20), 0);
  assert.equal(r.kind === 'added' && r.peer.expiresAt, MAX_TTL_SECONDS * 1_000_000);
  t.markProven({ address: '10.0.0.1', port: 4242 });
  assert.equal(t.rank(t.peers.get(id(20))!), Rank.Proven);
  const src = { address: '10.9.9.9', port: 1 };
  let limited = 0;
  for (let n = 0; n < NEW_IDS_PER_SOURCE.burst + 10; n++) if (t.offer(id(1000 + n), 5, state(id(7)), src, 10).kind === 'limited') limited++;
  assert.equal(limited, 10);
  // A limited id that comes back is let in: it is remembered, and remembered ids bypass the limit.
  assert.equal(t.offer(id(1000 + NEW_IDS_PER_SOURCE.burst + 9), 5, state(id(7)), src, 11).kind, 'added');
});
