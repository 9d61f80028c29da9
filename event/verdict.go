package event

import "time"

// Verdict is the screening result for one message, published to VERDICTS.
type Verdict struct {
	V int `json:"v"`
	// ID is stable for a message and a rule-pack version ([VerdictID]), so
	// re-screening with the same rules is dropped as a duplicate and
	// re-screening with new rules is not.
	ID         string    `json:"id"`
	MessageID  string    `json:"message_id"`
	Channel    Channel   `json:"channel,omitempty"`
	Direction  Direction `json:"direction,omitempty"`
	Household  string    `json:"household,omitempty"`
	Person     string    `json:"person,omitempty"`
	ReceivedAt time.Time `json:"received_at,omitempty"`
	IngestedAt time.Time `json:"ingested_at,omitempty"`
	ScreenedAt time.Time `json:"screened_at,omitempty"`

	// Engine is the engine version, RulePacks the name@version of every pack
	// the verdict was made with.
	Engine    string   `json:"engine"`
	RulePacks []string `json:"rule_packs"`

	Level      Level      `json:"verdict"`
	Score      float64    `json:"score"`
	Categories []Category `json:"categories"`
	Flags      []Flag     `json:"flags,omitempty"`
	Reasons    []Reason   `json:"reasons"`
	Guidance   []string   `json:"guidance,omitempty"`
	// Indicators are the sender, call-back numbers, domains and codes the
	// message carried; notify groups alerts of one campaign by them.
	Indicators  Indicators `json:"indicators,omitempty"`
	Correlation []string   `json:"correlation,omitempty"` // related message ids
	// Sender is the message's sender as shown, for alert texts. It is
	// personal data: never logged.
	Sender  Address `json:"sender,omitempty"`
	Subject string  `json:"subject,omitempty"`
}

// Reason is one piece of evidence behind a verdict: which rule fired, on
// which words of the original, and what that means in plain language.
type Reason struct {
	Rule     string   `json:"rule"`
	Category Category `json:"category"`
	Weight   float64  `json:"weight"`
	// Evidence quotes the original words (not the normalised form).
	Evidence string `json:"evidence,omitempty"`
	// Field is where the evidence is: "subject", "text", "from", "link",
	// "url" or "header". Start and End are byte offsets into that field of
	// the original message (End exclusive); both zero when not applicable.
	Field   string    `json:"field,omitempty"`
	Start   int       `json:"start,omitempty"`
	End     int       `json:"end,omitempty"`
	Explain Explained `json:"explain"`
}

// Explained is a plain-language explanation in the languages scamscreen
// speaks.
type Explained struct {
	JA string `json:"ja,omitempty"`
	EN string `json:"en,omitempty"`
}

// In returns the explanation in lang ("ja" or "en"), falling back to the
// other language when one is missing.
func (e Explained) In(lang string) string {
	if lang == "en" && e.EN != "" || e.JA == "" {
		return e.EN
	}
	return e.JA
}

// Indicators are values that identify a campaign across messages.
type Indicators struct {
	SenderKey string   `json:"sender_key,omitempty"` // lower-cased address or E.164 number
	Phones    []string `json:"phones,omitempty"`     // call-back numbers, digits only (+ for international)
	Domains   []string `json:"domains,omitempty"`    // registrable domains of URLs
	Codes     int      `json:"codes,omitempty"`      // number of gift-card codes seen (never the codes)
}

// Has reports whether v names category c.
func (v *Verdict) Has(c Category) bool {
	for _, k := range v.Categories {
		if k == c {
			return true
		}
	}
	return false
}

// HasFlag reports whether v carries flag f.
func (v *Verdict) HasFlag(f Flag) bool {
	for _, k := range v.Flags {
		if k == f {
			return true
		}
	}
	return false
}
