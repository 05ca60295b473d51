/**
 * The seam between a session and the recovery journal (RFC 6295 §4–§6, journal/): one sender
 * history and one receiver view per session, made fresh when the peer restarts. The receiver
 * half is there in every mode: a peer's journal is read whatever we send.
 * @module
 */
import { JournalReceiver, JournalSender, type JournalMode } from './journal/index.ts';
import type { JournalRecovery } from './rtp-receiver.ts';
import type { JournalHistory } from './rtp-sender.ts';

export type { JournalMode };

export interface SessionJournal {
  sender: JournalHistory | undefined;
  receiver: JournalRecovery | undefined;
}

/** The journal halves for `mode` ('off': we send none). */
export function createJournal(mode: JournalMode): SessionJournal {
  return { sender: mode === 'off' ? undefined : new JournalSender({ mode }), receiver: new JournalReceiver() };
}
