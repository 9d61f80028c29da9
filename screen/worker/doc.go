// Package worker is the screen stage on JetStream: a durable pull consumer
// on INBOUND, shared by every replica, that screens each message with the
// engine and publishes the verdict to VERDICTS before the message is
// acknowledged.
//
// Exactly-once results come from ids, not from coordination: the verdict id
// is derived from the message id and the rule-pack versions, so a message
// delivered twice (a crash after publishing, a replica that lost its lease)
// publishes the same verdict id twice and JetStream keeps one. A new rule
// pack gives a new verdict id, which is what replaying with new rules wants.
//
// Rule packs reload on SIGHUP (the caller passes the signal in) and when a
// file of the rule directory changes: the new engine is built beside the old
// one and swapped in atomically; in-flight messages finish with the engine
// they started with, and every verdict records its rule-pack versions. A
// pack that fails to load leaves the running engine in place.
//
// This is the only screen package that imports internal/bus; the engine
// itself links no NATS.
package worker
