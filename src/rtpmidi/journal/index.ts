/**
 * The RTP-MIDI recovery journal (RFC 6295 §4–§6, Appendices A and B; RFC 4696): the codec of
 * the journal section, the sender state that builds a journal for every outgoing packet, and
 * the receiver that repairs what packet loss took (stuck notes, controllers, program, pitch
 * wheel, transport and song position). Pure (L0): no I/O, no clocks.
 *
 * @example
 * const sender = new JournalSender();            // one per session, outgoing
 * const journal = sender.encode();               // for packet `seq`, before recording it
 * for (const m of messages) sender.record(m, seq);
 * sender.checkpoint(rsSeq);                      // on AppleMIDI RS
 *
 * const receiver = new JournalReceiver();        // one per session, incoming
 * receiver.observe(message);                     // everything given to the application
 * const repairs = receiver.recover(packet.journal, lostFrom, lostTo); // after a gap; observe them too
 * @module
 */
export { JournalSender, type JournalMode, type JournalSenderOptions } from './sender.ts';
export { JournalReceiver, type JournalReceiverSnapshot } from './receiver.ts';
export { encodeJournal, decodeJournal, journalLength, channelJournalOf } from './journal-codec.ts';
export {
  CHANNEL_TOC,
  SYSTEM_TOC,
  POSITION_MOD,
  type Journal,
  type ChannelJournal,
  type SystemJournal,
  type RawChapters,
  type ChapterP,
  type ChapterC,
  type ControllerLog,
  type ChapterW,
  type ChapterN,
  type NoteLog,
  type ChapterQ,
} from './types.ts';
