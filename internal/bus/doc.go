// Package bus is scamscreen's JetStream plumbing: it connects to an
// external NATS deployment or starts an embedded nats-server, creates the
// streams of [event.Streams], publishes with message ids, keeps large raw
// originals in an object store, and runs the consume loop that every stage
// worker uses.
//
// # Connecting
//
// [Open] reads [Config]. Without a URL it starts nats-server in-process with
// JetStream on embedded.store_dir, under an exclusive flock of
// <store_dir>/scamscreen.lock (nats-server has no lock of its own, and two
// servers on one store corrupt it), with no signal handlers, no TCP listener
// unless embedded.listen is set, and a zap adapter as its logger whose Fatalf
// logs instead of exiting. The client connects to it in-process. With URLs
// it connects with user/password, token, NKey or .creds authentication and
// optional TLS, reconnecting forever with jittered waits. Secrets are read
// from environment variables or files at connect time. [Bus.Close] stops
// consume loops, waits for asynchronous publishes, drains the connection,
// stops the embedded server and releases the lock.
//
// # Publishing
//
// Every publish carries Nats-Msg-Id (the stable id of the message, verdict
// or alert) and waits for the stream's ack; a timed-out attempt is retried
// with the same id, which JetStream deduplicates inside the stream's
// duplicate window (2 minutes by default). Raw originals larger than
// raw_inline_limit move to the [RawBucket] object store, referenced by
// [event.Raw.Object]; [Bus.FetchRaw] returns them byte for byte.
//
// # Consuming
//
// [Bus.Consume] owns acknowledgement; handlers never ack. The mapping from
// a [Handler]'s result to an ack verb lives here and only here:
//
//   - nil: Ack. Plain Ack is enough for exactly-once results: a handler
//     publishes its result (with an id derived from its input) and waits
//     for that ack before returning, so a lost Ack only causes a redelivery
//     whose republished result the stream drops as a duplicate.
//   - [errkind.Permanent], a panic, or a failure on the last allowed
//     delivery: the payload is copied to DEADLETTER on
//     scamscreen.dead.<stage>.<household>.<person> with the reason in
//     headers ([HeaderDeadReason] and friends) and a message id derived
//     from stream and sequence, and only then terminated (TermWithReason).
//     If the copy fails the message is retried instead, never dropped.
//   - other errors: NakWithDelay with the spec's backoff for the delivery
//     count, or the delay given to [errkind.Temporary].
//   - a handler cut short by shutdown ([context.Canceled] after the grace
//     period): Nak without delay, so another replica takes it at once.
//
// The server-side MaxDeliver is unlimited: the loop counts deliveries
// itself, so a message that exhausted its deliveries without an outcome (a
// crash, a handler overrunning its deadline) is dead-lettered on its next
// delivery rather than silently abandoned by the server. Reasons come from
// error texts, which is why handlers must keep message content out of their
// errors. Metrics plug in through [Observer].
//
// Every JetStream request the bus makes (publishes, stream and consumer
// management, object reads) runs with a per-attempt deadline and is sent
// again when it times out or finds no leader: a cluster drops requests while
// routes settle or a node dies, and all of these requests are idempotent
// (publishes carry ids; creates fall back to binding what exists).
//
// # Replaying
//
// [Bus.Replay] reads a stream from a sequence or time with a throw-away
// consumer that acknowledges nothing, so operators can re-screen history
// beside the running pipeline. It replicates that consumer like the stream
// and checks delivery order itself, rather than using nats.go's in-memory
// R1 ordered consumer, which could not be placed for over a minute after a
// node was killed in the cluster test.
//
// # Imports
//
// event, internal/errkind, nats.go and its jetstream package (never the
// legacy nc.JetStream API), nats-server/v2 (embedded mode), zap,
// golang.org/x/sys/unix (flock) and the standard library. No metrics
// library: internal/obs implements [Observer].
package bus
