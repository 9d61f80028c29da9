package imap

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/config"
)

// Defaults of [Config], applied by [Config.Defaults] to every zero field.
const (
	DefaultMaxConcurrentSyncs = 8
	DefaultPollInterval       = time.Minute
	DefaultIdleRestart        = 9 * time.Minute
	DefaultKeepalive          = time.Minute
	DefaultDialTimeout        = 30 * time.Second
	DefaultCommandTimeout     = 2 * time.Minute
	DefaultReconnectMin       = time.Second
	DefaultReconnectMax       = 5 * time.Minute
	DefaultFetchBatch         = 50
	DefaultMaxMessageSize     = 64 << 20
	// MaxIdleRestart is the longest IDLE restart interval accepted: servers
	// may drop an IDLE connection after 30 minutes (RFC 2177), and NAT
	// boxes often much sooner.
	MaxIdleRestart = 25 * time.Minute
)

// Config holds the options every IMAP account shares. In the configuration
// file it is the ingest.imap section; the accounts themselves are listed
// per person (households[].people[].mailboxes, see [Mailbox]).
//
// Zero fields take the defaults given with each field.
type Config struct {
	// MaxConcurrentSyncs bounds how many folders connect, log in and catch
	// up at the same time (default 8), so that a restart with thousands of
	// mailboxes does not hit the servers all at once. Folders waiting in
	// IDLE hold no slot.
	MaxConcurrentSyncs int `yaml:"max_concurrent_syncs"`
	// PollInterval is how often a folder on a server without IDLE is
	// checked for new mail (default 1m).
	PollInterval config.Duration `yaml:"poll_interval"`
	// IdleRestart is how long one IDLE command runs before it is renewed
	// and the folder re-checked (default 9m, at most 25m). Renewing well
	// before the 29-minute server timeout also proves the connection alive.
	IdleRestart config.Duration `yaml:"idle_restart"`
	// Keepalive is the idle time before TCP keepalive probes start on an
	// IMAP connection (default 1m); four unanswered probes at a quarter of
	// it close a dead connection.
	Keepalive config.Duration `yaml:"keepalive"`
	// DialTimeout bounds connecting, TLS and the greeting (default 30s).
	DialTimeout config.Duration `yaml:"dial_timeout"`
	// CommandTimeout bounds one IMAP command, and the wait for each message
	// of a fetch; a server silent for longer is treated as gone and the
	// connection is reopened (default 2m).
	CommandTimeout config.Duration `yaml:"command_timeout"`
	// ReconnectMin and ReconnectMax bound the jittered exponential backoff
	// between attempts after a failure (defaults 1s and 5m).
	ReconnectMin config.Duration `yaml:"reconnect_min"`
	ReconnectMax config.Duration `yaml:"reconnect_max"`
	// Backfill is how far back the first start of a folder (no checkpoint
	// yet) ingests existing mail, by arrival time on the server (for
	// example 7d). Zero, the default, ingests only mail that arrives after
	// the first start.
	Backfill config.Duration `yaml:"backfill"`
	// FetchBatch is how many messages one UID FETCH asks for while catching
	// up (default 50). The checkpoint is saved after each batch.
	FetchBatch int `yaml:"fetch_batch"`
	// MaxMessageSize caps the bytes kept of one mail (default 64MiB). A
	// larger mail is still published, with its first MaxMessageSize bytes
	// as the raw original and a parse error saying it was cut.
	MaxMessageSize config.ByteSize `yaml:"max_message_size"`
	// Action is the optional change made to a mail screened as scam (off by
	// default); see [ActionConfig].
	Action ActionConfig `yaml:"action"`
}

// DefaultConfig returns a Config with every default filled in.
func DefaultConfig() Config {
	var c Config
	c.Defaults()
	return c
}

// Defaults fills every zero field of c with its default.
func (c *Config) Defaults() {
	setInt(&c.MaxConcurrentSyncs, DefaultMaxConcurrentSyncs)
	setDur(&c.PollInterval, DefaultPollInterval)
	setDur(&c.IdleRestart, DefaultIdleRestart)
	setDur(&c.Keepalive, DefaultKeepalive)
	setDur(&c.DialTimeout, DefaultDialTimeout)
	setDur(&c.CommandTimeout, DefaultCommandTimeout)
	setDur(&c.ReconnectMin, DefaultReconnectMin)
	setDur(&c.ReconnectMax, DefaultReconnectMax)
	setInt(&c.FetchBatch, DefaultFetchBatch)
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	c.Action.defaults()
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setDur(p *config.Duration, v time.Duration) {
	if *p == 0 {
		*p = config.Duration(v)
	}
}

// Validate checks c with defaults applied to its zero fields and reports
// every problem with its path.
func (c Config) Validate() error {
	c.Defaults()
	var p config.Problems
	if c.MaxConcurrentSyncs < 1 {
		p.Add("max_concurrent_syncs", "must be at least 1")
	}
	for _, d := range []struct {
		path string
		v    config.Duration
		min  time.Duration
	}{
		{"poll_interval", c.PollInterval, 10 * time.Millisecond},
		{"idle_restart", c.IdleRestart, 10 * time.Millisecond},
		{"keepalive", c.Keepalive, time.Second},
		{"dial_timeout", c.DialTimeout, 100 * time.Millisecond},
		{"command_timeout", c.CommandTimeout, 100 * time.Millisecond},
		{"reconnect_min", c.ReconnectMin, time.Millisecond},
		{"reconnect_max", c.ReconnectMax, time.Millisecond},
	} {
		if d.v.Std() < d.min {
			p.Add(d.path, "must be at least %v", d.min)
		}
	}
	if c.IdleRestart.Std() > MaxIdleRestart {
		p.Add("idle_restart", "must be at most %v: servers drop IDLE connections after 29 minutes", MaxIdleRestart)
	}
	if c.ReconnectMax < c.ReconnectMin {
		p.Add("reconnect_max", "must not be below reconnect_min")
	}
	if c.Backfill < 0 {
		p.Add("backfill", "must not be negative")
	}
	if c.FetchBatch < 1 || c.FetchBatch > 1000 {
		p.Add("fetch_batch", "must be between 1 and 1000")
	}
	if c.MaxMessageSize < 1<<20 {
		p.Add("max_message_size", "must be at least 1MiB")
	}
	p.Merge("action", c.Action.Validate())
	return p.Err()
}

// TLSMode says how an IMAP connection is secured.
type TLSMode string

// TLS modes.
const (
	// TLSImplicit connects with TLS from the first byte (port 993).
	TLSImplicit TLSMode = "implicit"
	// TLSStartTLS connects in plaintext and upgrades with STARTTLS before
	// logging in (port 143).
	TLSStartTLS TLSMode = "starttls"
	// TLSNone sends everything, the password included, in plaintext. It is
	// allowed only to a loopback address and with allow_plaintext: true.
	TLSNone TLSMode = "none"
)

// Mailbox is one IMAP account of a protected person, as written in
// households[].people[].mailboxes[].
type Mailbox struct {
	// ID names the mailbox in logs, metrics, checkpoints and message
	// sources: 1-64 characters from A-Z a-z 0-9 _ -, unique in the whole
	// configuration. Required. Never use the address itself.
	ID string `yaml:"id"`
	// Host and Port locate the server. Port defaults to 993 with implicit
	// TLS and to 143 otherwise.
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// TLS is implicit (default), starttls, or none (loopback only, and only
	// with AllowPlaintext).
	TLS TLSMode `yaml:"tls"`
	// AllowPlaintext must be true for tls: none.
	AllowPlaintext bool `yaml:"allow_plaintext"`
	// Username is the login name, often the address. Required; never
	// logged.
	Username string `yaml:"username"`
	// Password logs in with LOGIN. XOAuth2Token instead authenticates with
	// SASL XOAUTH2 (Gmail, Microsoft 365); the secret holds a current
	// access token and is read again at every connection, so an external
	// refresher can rotate the file. Exactly one of the two is required.
	Password     config.Secret `yaml:"password"`
	XOAuth2Token config.Secret `yaml:"xoauth2_token"`
	// CAFile is a PEM file of CA certificates to trust instead of the
	// system roots (private CAs); ServerName overrides the name checked in
	// the server certificate (default: Host).
	CAFile     string `yaml:"ca_file"`
	ServerName string `yaml:"server_name"`
	// Inbox lists folders of mail the person receives (direction in).
	// Absent: INBOX plus the junk folder when the server has one (SPECIAL-USE
	// \Junk, else a folder named Junk, Spam, 迷惑メール, ...). An empty list
	// watches no incoming folder.
	Inbox []string `yaml:"inbox"`
	// Sent lists folders of mail the person sends (direction out), where a
	// gift-card code handed to a fraudster shows up. Absent: the SPECIAL-USE
	// \Sent folder, else a folder named Sent, Sent Items, 送信済み, ...; an
	// empty list watches none.
	Sent []string `yaml:"sent"`
}

// Account is a mailbox together with the person it belongs to. The CLI
// builds it from households[].people[].mailboxes[].
type Account struct {
	Mailbox
	// Household and Person are the subject tokens of the owner.
	Household string
	Person    string
}

// port returns the effective port.
func (m *Mailbox) port() int {
	if m.Port != 0 {
		return m.Port
	}
	if m.tlsMode() == TLSImplicit {
		return 993
	}
	return 143
}

func (m *Mailbox) tlsMode() TLSMode {
	if m.TLS == "" {
		return TLSImplicit
	}
	return m.TLS
}

// addr returns host:port.
func (m *Mailbox) addr() string {
	return net.JoinHostPort(m.Host, fmt.Sprint(m.port()))
}

// Validate checks one mailbox and reports every problem with its path.
// It does not read secrets or files other than checking that CAFile
// exists.
func (m Mailbox) Validate() error {
	var p config.Problems
	if !event.ValidToken(m.ID) {
		p.Add("id", "required: 1-64 characters from A-Z a-z 0-9 _ -")
	}
	if m.Host == "" {
		p.Add("host", "required")
	}
	if m.Port < 0 || m.Port > 65535 {
		p.Add("port", "must be between 1 and 65535")
	}
	switch m.tlsMode() {
	case TLSImplicit, TLSStartTLS:
	case TLSNone:
		if !m.AllowPlaintext {
			p.Add("tls", "none sends the password in plaintext: set allow_plaintext: true (loopback servers only)")
		}
		if m.Host != "" && !isLoopback(m.Host) {
			p.Add("host", "tls: none is allowed only to a loopback address")
		}
	default:
		p.Add("tls", "must be implicit, starttls or none")
	}
	if m.Username == "" {
		p.Add("username", "required")
	}
	switch {
	case m.Password.IsSet() && m.XOAuth2Token.IsSet():
		p.Add("password", "set either password or xoauth2_token, not both")
	case !m.Password.IsSet() && !m.XOAuth2Token.IsSet():
		p.Add("password", "required (or xoauth2_token)")
	}
	if m.CAFile != "" {
		if _, err := os.Stat(m.CAFile); err != nil {
			p.Add("ca_file", "cannot be read: %v", err)
		}
	}
	checkFolders(p.At("inbox"), m.Inbox)
	checkFolders(p.At("sent"), m.Sent)
	seen := map[string]bool{}
	for _, f := range append(append([]string(nil), m.Inbox...), m.Sent...) {
		if seen[f] {
			p.Add("sent", "folder %q is listed twice", f)
		}
		seen[f] = true
	}
	return p.Err()
}

func checkFolders(p *config.Problems, folders []string) {
	for i, f := range folders {
		if strings.TrimSpace(f) == "" || strings.ContainsAny(f, "\r\n\x00") {
			p.Add(config.Path(i), "not a folder name")
		}
	}
}

// ValidateAccounts checks every account and that mailbox ids are unique;
// problems carry the index in accounts as their path.
func ValidateAccounts(accounts []Account) error {
	var p config.Problems
	ids := map[string]int{}
	for i, a := range accounts {
		q := p.At(i)
		q.Merge("", a.Mailbox.Validate())
		if !event.ValidToken(a.Household) {
			q.Add("household", "not a valid id")
		}
		if !event.ValidToken(a.Person) {
			q.Add("person", "not a valid id")
		}
		if j, ok := ids[a.ID]; ok && a.ID != "" {
			q.Add("id", "mailbox id %q is also used by mailbox %d", a.ID, j)
		}
		ids[a.ID] = i
	}
	return p.Err()
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
