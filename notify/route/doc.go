// Package route decides who hears about a verdict, over which channels,
// when, and at which escalation step. It is pure: every function takes the
// time as an argument and does no I/O, so routing is table-tested on any
// clock and the worker keeps the state (groups, escalations, timers) in
// JetStream key-value buckets.
//
// The decisions, in the order the worker applies them:
//
//   - [Urgent]: go_to_shop, stay_on_phone or tell_no_one at suspicious or
//     worse, any gift_card_demand at scam, and every code_handover. Urgent
//     verdicts skip grouping and quiet hours, reach every trusted contact
//     whatever their minimum, and call contacts who have voice.
//   - [Assign]: the same lure (same sender, call-back number or link
//     domain, [GroupKeys]) reaching the same person within the grouping
//     window is one alert; later verdicts are folded and counted, and when
//     the window closes each recipient gets one [Summary] with the count.
//   - [Route]: one job per recipient and channel, each an event.Alert with
//     the stable id event.AlertID(verdict, recipient, channel, step), held
//     until the end of the recipient's quiet hours (NotBefore) unless
//     urgent, or suppressed below the recipient's minimum verdict or when
//     the message is stale: when it reached scamscreen (the verdict's
//     IngestedAt) longer ago than the stale limit, never judged by the
//     sender's own Date header.
//   - [Next]: an urgent alert nobody acknowledges within the ack timeout
//     goes to the contacts in escalation order, one per step, and finally
//     to the helpdesk.
//
// Imports: event, notify and the standard library.
package route
