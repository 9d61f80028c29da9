// Package worker is the notify stage's JetStream glue: it turns verdicts
// into alert jobs, delivers each job exactly once, runs the timers of quiet
// hours, group summaries and escalation, and takes acknowledgements.
//
// Three durable consumers and one timer loop, every replica running all of
// them:
//
//   - "notify" on VERDICTS: route (notify/route) a verdict into one job per
//     recipient and channel and publish each on event.AlertJobSubject with
//     its stable id as Nats-Msg-Id. Grouping state is compare-and-swapped
//     in the state bucket; jobs held by quiet hours become timers; an
//     urgent verdict starts an escalation (state plus timer).
//   - "notify-deliver" on ALERTS jobs (event.AlertJobFilter): render the
//     job for its recipient (current consent and language) and deliver it
//     through a notify.Deliverer, whose record in the records bucket (key:
//     alert id) is written before the job is acknowledged. The outcome
//     (sent, failed, retrying, suppressed) goes to the ALERTS audit. An
//     escalation step's job whose escalation was acknowledged meanwhile
//     (still in retries, say) is recorded as skipped instead.
//   - "notify-ack" on ALERTS acknowledgements (event.AlertAckFilter): an
//     acknowledgement link stops the escalation of its alert's verdict, an
//     SMS reply every open escalation of the person; each is recorded on
//     the audit before its state becomes a tombstone, which keeps the
//     escalation from starting again (see [Worker.HandleAck]).
//   - Timers: keys in the timers bucket start with their due time; every
//     timer_interval each replica fires what is due (publish a released
//     job, send a group summary, take an escalation step) and deletes the
//     timer afterwards. All firing is idempotent, so several replicas and
//     restarts are harmless, and nothing waits in memory.
//
// Exactly once, and where it ends: a redelivered verdict republishes jobs
// with the same ids (dropped by JetStream within its duplicate window, and
// after it stopped by the delivery record); a redelivered job finds its
// record and is acknowledged without sending. A crash between the provider
// call and the record write leaves the record "sending" with a deadline;
// the next delivery after it asks Twilio whether the SMS or call exists
// (notify.Reconciler) and sends only if not. E-mail and webhooks are sent
// again in that one window, with the same Message-ID or Idempotency-Key.
//
// Quiet hours are timers, not NakWithDelay: a night-long wait would
// exhaust a consumer's deliveries, and a timer survives restarts and shows
// in the bucket. Shadow mode (notify.Config.Shadow) delivers every job at
// once to one shadow channel, writes its state to separate "_shadow"
// buckets under its own durable and records nothing on ALERTS, so a replay
// reaches nobody.
//
// This package never imports internal/bus or nats.go: it takes a [Bus]
// (*bus.Bus's publish methods plus a consume adapter) and [KV] buckets;
// package natsbus provides both on JetStream. It
// imports event, notify and its subpackages, internal/errkind, zap,
// client_golang and x/sync.
package worker
