package event

import "fmt"

// Channel is the medium a message travelled on.
type Channel string

// Channels.
const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == ChannelEmail || c == ChannelSMS }

// Direction says whether the protected person received or sent a message.
type Direction string

// Directions.
const (
	DirectionIn  Direction = "in"
	DirectionOut Direction = "out"
)

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool { return d == DirectionIn || d == DirectionOut }

// Level is the outcome of screening one message, ordered from harmless to
// fraudulent so levels compare with < and >.
type Level int

// Levels. The zero value is LevelUnknown so a forgotten field never reads as
// "clean".
const (
	LevelUnknown Level = iota
	LevelClean
	LevelSuspicious
	LevelScam
)

var levelNames = [...]string{"unknown", "clean", "suspicious", "scam"}

// String returns the wire name of l.
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel turns a wire name into a Level.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if n == s && i != 0 {
			return Level(i), nil
		}
	}
	return LevelUnknown, fmt.Errorf("unknown verdict %q (want clean, suspicious or scam)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (l Level) MarshalText() ([]byte, error) {
	if l <= LevelUnknown || int(l) >= len(levelNames) {
		return nil, fmt.Errorf("cannot marshal verdict level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Category is a lure family or escalation that a verdict names. The set is
// closed: see [Categories].
type Category string

// Categories, from the seed article plus the two escalations that need a
// pipeline with memory.
const (
	CategoryUnpaidBill        Category = "unpaid_bill"
	CategoryAccountLock       Category = "account_lock"
	CategoryImpersonation     Category = "impersonation"
	CategoryInvestment        Category = "investment"
	CategoryShopping          Category = "shopping"
	CategoryGiftCardDemand    Category = "gift_card_demand"
	CategoryPhishingLink      Category = "phishing_link"
	CategoryCodeHandover      Category = "code_handover"
	CategoryPurchaseAfterLure Category = "purchase_after_lure"
)

// Categories lists every category in a fixed order: the lure families first,
// then the cross-cutting demand, the link, and the escalations.
var Categories = []Category{
	CategoryUnpaidBill, CategoryAccountLock, CategoryImpersonation,
	CategoryInvestment, CategoryShopping, CategoryGiftCardDemand,
	CategoryPhishingLink, CategoryCodeHandover, CategoryPurchaseAfterLure,
}

// Valid reports whether c is one of [Categories].
func (c Category) Valid() bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}

// IsLureFamily reports whether c is one of the lure families of the seed
// article (the stories that precede a gift-card demand).
func (c Category) IsLureFamily() bool {
	switch c {
	case CategoryUnpaidBill, CategoryAccountLock, CategoryImpersonation,
		CategoryInvestment, CategoryShopping:
		return true
	}
	return false
}

// Flag marks content that changes how urgently people must be told: the lure
// is trying to get the person to act before anyone can stop them.
type Flag string

// Flags set by rules. Notify sends flagged verdicts past grouping and quiet
// hours.
const (
	FlagGoToShop    Flag = "go_to_shop"    // buy cards now, at a store or online
	FlagStayOnPhone Flag = "stay_on_phone" // keep the line open, call this number now
	FlagTellNoOne   Flag = "tell_no_one"   // secrecy: don't tell family, the clerk or police
	FlagCodeSent    Flag = "code_sent"     // a gift-card code left the person's hands
)

// Flags lists every flag.
var Flags = []Flag{FlagGoToShop, FlagStayOnPhone, FlagTellNoOne, FlagCodeSent}

// Valid reports whether f is one of [Flags].
func (f Flag) Valid() bool {
	for _, k := range Flags {
		if k == f {
			return true
		}
	}
	return false
}

// Guidance keys name the pieces of advice from the seed article that an alert
// must carry. Templates turn them into words.
const (
	GuidanceDoNotBuy        = "do_not_buy_gift_cards" // Amazon and public bodies never ask for gift cards
	GuidanceCallKnownNumber = "call_known_number"     // call the person/company on a number you already know
	GuidanceDoNotCallBack   = "do_not_call_number_in_message"
	GuidanceDoNotOpenLink   = "do_not_open_link"
	GuidanceContactAmazon   = "contact_amazon_now" // an unused code can often be locked
	GuidanceResendEmailCard = "resend_email_gift_card"
	GuidanceKeepEvidence    = "keep_evidence"
	GuidancePolice9110      = "police_9110"
	GuidanceConsumer188     = "consumer_hotline_188"
)
