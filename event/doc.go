// Package event is scamscreen's wire contract: the messages, verdicts and
// alerts that stages exchange over NATS JetStream, the enums they use, the
// subject and stream names, and the stable identifiers that make every
// publish idempotent.
//
// Every stage imports event and nothing of the other stages, so a change here
// is a change to the protocol. The rules that keep streams readable forever:
//
//   - Each payload carries "v" (the schema version, [Version]). Within a
//     version only additive changes are allowed; decoders ignore unknown
//     fields. A breaking change means a new version and a period of dual
//     support, and a new golden file under testdata/.
//   - Identifiers are stable: the same e-mail or SMS always gets the same
//     [Message.ID], which is published as Nats-Msg-Id so JetStream drops a
//     re-ingest inside its duplicate window.
//   - Subject tokens are opaque ids ([ValidToken]), never phone numbers,
//     addresses or names: subjects show up in monitoring and advisories.
//
// The package imports only the standard library.
package event
