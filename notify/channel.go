package notify

import (
	"context"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/config"
)

// Channel names, as used in [event.Alert.Channel] and in alert job
// subjects.
const (
	ChannelSMS     = "sms"
	ChannelVoice   = "voice"
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
	ChannelConsole = "console"
)

// Channels lists every channel name in the order recipients' channels are
// planned.
var Channels = []string{ChannelSMS, ChannelVoice, ChannelEmail, ChannelWebhook, ChannelConsole}

// Template names, as used in [event.Alert.Template].
const (
	// TemplatePerson is the protected person's own short warning.
	TemplatePerson = "person"
	// TemplateContact tells a trusted contact what arrived, why it is a
	// lure, and what to do now.
	TemplateContact = "contact"
	// TemplateEscalation reminds the next contact that nobody has
	// acknowledged an urgent alert yet.
	TemplateEscalation = "escalation"
	// TemplateSummary reports how many more messages of the same lure were
	// folded into an earlier alert.
	TemplateSummary = "summary"
	// TemplateHelpdesk is the last escalation step, for an ISP helpdesk.
	TemplateHelpdesk = "helpdesk"
)

// Recipient ids reserved for the protected person and the helpdesk;
// trusted contacts use their own ids from the configuration.
const (
	RecipientSelf     = "self"
	RecipientHelpdesk = "helpdesk"
)

// Destination is where one alert goes. Only the field of the delivery's
// channel is set. It is personal data: never logged, never in an error.
type Destination struct {
	// Name is how the recipient is addressed (e-mail display name).
	Name string
	// Phone is an E.164 number, for sms and voice.
	Phone string
	// Email is an address, for email.
	Email string
	// URL is the endpoint, for webhook; URLSecret, when set, holds the URL
	// instead (for endpoints whose URL embeds a token, such as Slack's).
	URL       string
	URLSecret config.Secret
	// Secret signs webhook payloads; unset means the channel's default key.
	Secret config.Secret
}

// SMSInfo describes how an SMS text travels: its encoding and how many
// segments (billed messages) it takes.
type SMSInfo struct {
	// Encoding is "GSM-7" or "UCS-2".
	Encoding string
	// Units counts septets (GSM-7) or UTF-16 code units (UCS-2).
	Units int
	// Segments is 1 for a single message, more for a concatenated one.
	Segments int
}

// Rendered is the text of one alert in every form the channels need. The
// template package makes it; a channel uses the form that fits it.
type Rendered struct {
	Template string
	Language string
	// Subject is the e-mail subject.
	Subject string
	// Text is the full text: e-mail body, webhook text, console.
	Text string
	// SMS is the text message, trimmed to the segment budget.
	SMS     string
	SMSInfo SMSInfo
	// Speech is what a voice call says (text to speech).
	Speech string
	// AckURL is the signed acknowledgement link, when there is one.
	AckURL string
}

// Delivery is one send: the alert job, where it goes and its words.
type Delivery struct {
	Alert   *event.Alert
	To      Destination
	Message Rendered
}

// Channel delivers alerts over one medium. Implementations are safe for
// concurrent use.
//
// Send makes one attempt and returns the provider's id for the accepted
// message (a Twilio SID, an SMTP queue id or Message-ID, a webhook's
// request id). It honours ctx's deadline and cancellation. Its errors are
// classified with internal/errkind (see [SendError]) and contain no secret,
// phone number, address or message text. Idempotency is not the channel's
// job: the [Deliverer] around it makes redelivery safe.
type Channel interface {
	Send(ctx context.Context, d *Delivery) (providerID string, err error)
}

// Reconciler is implemented by channels that can find out afterwards
// whether an attempt whose outcome is unknown (the process died during the
// call, or the call timed out after the request was written) was accepted
// by the provider. [since, until] is that attempt's send window: from its
// start, less the clock skew allowed, to its deadline; a message accepted
// outside it is not the attempt's (a zero until is no upper bound). found
// reports a matching accepted message; its id is returned.
type Reconciler interface {
	Reconcile(ctx context.Context, d *Delivery, since, until time.Time) (providerID string, found bool, err error)
}

// ChannelFunc adapts a function to [Channel].
type ChannelFunc func(ctx context.Context, d *Delivery) (string, error)

var _ Channel = ChannelFunc(nil)

// Send calls f.
func (f ChannelFunc) Send(ctx context.Context, d *Delivery) (string, error) { return f(ctx, d) }
