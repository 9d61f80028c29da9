// Package imap ingests the e-mail of protected people from their IMAP
// mailboxes into the INBOUND stream: every mail they receive (inbox and
// junk folders, direction "in") or send (sent folder, direction "out"),
// within seconds of its arrival on the server, once, with nothing lost.
//
// # How it works
//
// A [Worker] runs every configured [Account]. Each watched folder gets its
// own goroutine and connection: it logs in (LOGIN, or SASL XOAUTH2 for
// Gmail and Microsoft 365), opens the folder read-only (EXAMINE), catches
// up from its checkpoint, and then waits with IDLE (renewed every
// idle_restart, 9 minutes by default) or, on servers without IDLE, polls.
// New mail is fetched with BODY.PEEK[] one message at a time (bodies are
// streamed, never collected per batch), parsed by ingest/mailparse and
// published through an [ingest.Publisher] in UID order. Failures are
// classified, counted and retried with jittered exponential backoff per
// folder; connections carry TCP keepalive, and every wait on the server is
// guarded by command_timeout because go-imap commands take no context.
//
// # Checkpoints: nothing lost, nothing twice
//
// Per folder a [Checkpoint] (UIDVALIDITY, the highest UID published,
// and a memory of recent mails) lives in a [CheckpointStore] — in
// production the JetStream key-value bucket [CheckpointBucket], written
// with compare-and-swap. It advances only after PublishMessage returned
// nil (a duplicate counts), and is saved after each fetch batch, so a
// crash republishes at most one batch; message ids are stable
// ([event.EmailID] of the raw bytes, never the UID), so JetStream drops
// those republished inside its duplicate window.
//
// A UIDVALIDITY change (a folder recreated, a server migration) renumbers
// every mail. The worker then walks the folder again but skips what it can
// prove it published: mails whose Message-ID hash is among the last
// [RecentSize] it published from that folder, and mails that arrived
// (INTERNALDATE) at or before the checkpoint's horizon, the arrival time of
// the newest mail it has forgotten. This holds far beyond the duplicate
// window; see [Checkpoint]. The first start of a folder ingests only new
// mail, or with backfill the mail of that window, by the same mechanism.
//
// # Never touching the mailbox
//
// Folders are opened with EXAMINE and fetched with BODY.PEEK, so \Seen and
// every other flag stay as they were; nothing is expunged or moved. The
// only exception is [Actions], off by default, which an operator can wire
// to VERDICTS to add keywords to, or move, mails screened as scam. It
// finds a mail through the [Location] the worker records (when given
// [WithLocations]) and which it also writes into the message's headers
// ([HeaderMailbox], [HeaderFolder], [HeaderUIDValidity], [HeaderUID]).
//
// # Imports
//
// event, ingest, ingest/mailparse, internal/config, internal/obs,
// internal/errkind, go-imap/v2 (imapclient), go-message/charset, go-sasl,
// zap, the Prometheus client and the standard library. Never internal/bus
// or nats: the CLI passes a publisher and a [KV] (package imapkv adapts a
// JetStream bucket). Subpackage imaptest is an in-process IMAP server with
// sample mails for tests and the demo.
//
// # Invariants
//
//   - The checkpoint of a folder never passes a UID whose mail was not
//     acknowledged by the publisher (or deliberately skipped as known).
//   - Mails are published in UID order per folder; folders are independent.
//   - No flag of the user's mail changes unless Actions is enabled.
//   - A mail that cannot be parsed is published anyway with ParseError set;
//     a mail larger than max_message_size is published cut, flagged.
//   - Logs carry mailbox ids, folder names, UIDs and message ids; never
//     usernames, addresses, subjects or bodies.
package imap
