// Package imapkv adapts a JetStream key-value bucket to [imap.KV], so the
// IMAP worker's checkpoints and message locations live in JetStream while
// package imap itself links no NATS code.
//
// It exists only to translate: jetstream.ErrKeyNotFound becomes
// [imap.ErrKeyNotFound], and a lost compare-and-swap
// (jetstream.ErrKeyRevisionMismatch, or ErrKeyExists on create) becomes
// [imap.ErrConflict]. Imports: ingest/imap, nats.go's jetstream package and
// the standard library.
package imapkv
