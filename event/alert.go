package event

import "time"

// RecipientKind says whom an alert goes to.
type RecipientKind string

// Recipient kinds.
const (
	RecipientPerson   RecipientKind = "person"  // the protected person themself
	RecipientContact  RecipientKind = "contact" // a trusted contact
	RecipientHelpdesk RecipientKind = "helpdesk"
)

// AlertStatus is where an alert is in its life.
type AlertStatus string

// Alert statuses, as recorded in the ALERTS audit stream.
const (
	AlertPending      AlertStatus = "pending"
	AlertDeferred     AlertStatus = "deferred" // quiet hours or grouping
	AlertSent         AlertStatus = "sent"
	AlertFailed       AlertStatus = "failed"   // permanent: dead-lettered
	AlertRetrying     AlertStatus = "retrying" // temporary failure
	AlertGrouped      AlertStatus = "grouped"  // folded into an earlier alert
	AlertAcknowledged AlertStatus = "acknowledged"
	AlertEscalated    AlertStatus = "escalated"
	AlertSuppressed   AlertStatus = "suppressed" // below the recipient's minimum, or replay
)

// Alert is one notification job or outcome: one verdict, one recipient, one
// channel. Jobs and their audit records travel on ALERTS.
type Alert struct {
	V         int    `json:"v"`
	ID        string `json:"id"` // [AlertID]
	VerdictID string `json:"verdict_id"`
	MessageID string `json:"message_id"`
	Household string `json:"household,omitempty"`
	Person    string `json:"person,omitempty"`

	Recipient     string        `json:"recipient"` // recipient id from the configuration
	RecipientKind RecipientKind `json:"recipient_kind"`
	Channel       string        `json:"channel"` // sms, voice, email, webhook, console
	Template      string        `json:"template,omitempty"`
	Language      string        `json:"language,omitempty"`
	Urgent        bool          `json:"urgent,omitempty"`
	Step          int           `json:"step,omitempty"` // escalation step, 0 for the first
	GroupCount    int           `json:"group_count,omitempty"`

	Status     AlertStatus `json:"status"`
	Attempts   int         `json:"attempts,omitempty"`
	ProviderID string      `json:"provider_id,omitempty"` // e.g. the Twilio message SID
	Error      string      `json:"error,omitempty"`       // redacted; never a phone number or body
	At         time.Time   `json:"at"`
	NotBefore  time.Time   `json:"not_before,omitempty"`

	// Verdict is the verdict a delivery job is about, so the job can be
	// rendered and delivered on its own (with the recipient's current
	// consent and language) however late it is redelivered. Set on jobs
	// only; audit records leave it out.
	Verdict *Verdict `json:"verdict,omitempty"`
}
