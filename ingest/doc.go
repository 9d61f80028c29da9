// Package ingest holds what every ingest worker owes the pipeline, and the
// one interface they publish through.
//
// An ingest worker (IMAP in ingest/imap, SMS webhooks in ingest/sms) turns
// what a protected person receives or sends into an [event.Message] and
// publishes it to the INBOUND stream. Its duties:
//
//   - Stable ids: the same mail or SMS always gets the same id
//     (event.EmailID, event.SMSID), so JetStream drops a re-ingest.
//   - Nothing lost: a source is acknowledged (an IMAP checkpoint advanced,
//     an HTTP 200 returned) only after the publish was acknowledged.
//   - The raw original travels with the message (event.Raw); bus moves large
//     ones to the object store.
//   - No bodies, addresses or phone numbers in logs.
//
// Ingest packages never import internal/bus: they receive a [Publisher],
// which *bus.Bus satisfies and tests can fake.
package ingest

import (
	"context"

	"github.com/scamscreen/scamscreen/event"
)

// Publisher publishes a message to INBOUND with its id as Nats-Msg-Id and
// returns once JetStream has acknowledged it. dup reports that JetStream
// already had a message with that id (a re-ingest, not an error).
type Publisher interface {
	PublishMessage(ctx context.Context, msg *event.Message) (seq uint64, dup bool, err error)
}
