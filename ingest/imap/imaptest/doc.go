// Package imaptest is an in-process IMAP server for scamscreen's tests and
// demo: go-imap's in-memory server on a random loopback port, optionally
// with implicit TLS (a self-signed certificate it makes) or without IDLE,
// with users whose Sent and Junk folders carry SPECIAL-USE attributes,
// SASL XOAUTH2, and the failure modes ingest must survive (dropping every
// connection, changing a folder's UIDVALIDITY). It also bundles sample
// mails: Japanese lures in ISO-2022-JP and Shift_JIS, an ordinary Japanese
// mail, an English newsletter and a sent mail carrying gift-card codes.
//
// It is test-quality code meant for tests and `scamscreen demo`, not for
// serving real mail. It never imports package testing, so the demo binary
// can use it.
//
// Imports: ingest/imap (for [imap.Mailbox]), internal/config, event,
// go-imap/v2 (imapserver, imapmemserver, imapclient), go-sasl and the
// standard library.
package imaptest
