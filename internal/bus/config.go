package bus

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/config"
)

// Defaults applied by [DefaultConfig] and to every zero field of a [Config]
// before it is validated or used.
const (
	DefaultName       = "scamscreen"
	DefaultServerName = "scamscreen"
	DefaultMaxAge     = 90 * 24 * time.Hour
	// DefaultDuplicates is the Nats-Msg-Id duplicate window. Exactly-once
	// holds only inside it: a re-publish of the same id after the window
	// (an IMAP reconnect after backoff, an SMS provider replaying a
	// webhook, a redelivery after a restart) is stored again. It must stay
	// at least as long as those, and at least the SMS replay windows; the
	// cost is server memory per id seen in the window.
	DefaultDuplicates      = 20 * time.Minute
	DefaultReplicas        = 1
	DefaultRawInlineLimit  = 256 << 10
	MaxRawInlineLimit      = 512 << 10 // base64 makes it 683 KiB, under the 1 MiB max_payload
	DefaultRequestTimeout  = 5 * time.Second
	DefaultRequestAttempts = 5
	DefaultDrainTimeout    = 10 * time.Second
	DefaultConnectTimeout  = 5 * time.Second

	// ConfigPath is the YAML path under which the application embeds
	// [Config]; every problem [Config.Validate] reports starts with it.
	ConfigPath = "nats"
)

// Config configures the bus. It is embedded in the application's
// configuration file under "nats:". Zero fields take the defaults above.
//
// With no URL the bus starts an embedded nats-server with JetStream in this
// process (family installs); with URLs it connects to an external server or
// cluster (ISP pilots). Secrets never appear in the file: only the names of
// environment variables or files that hold them, read when [Open] connects.
type Config struct {
	// URL lists the servers of an external NATS deployment, as a YAML list
	// or one comma-separated string. Empty means embedded.
	URL URLList `yaml:"url,omitempty"`
	// Name is the client connection name shown in server monitoring.
	Name string `yaml:"name,omitempty"`

	// User with Password authenticates with a user and password. In
	// embedded mode the same credentials protect the embedded server's
	// listener. The password is a secret: {env: NAME} or {file: PATH}.
	User     string        `yaml:"user,omitempty"`
	Password config.Secret `yaml:"password,omitempty"`
	// Token authenticates with a token (also for the embedded server's
	// listener): {env: NAME} or {file: PATH}.
	Token config.Secret `yaml:"token,omitempty"`
	// NKeySeedFile authenticates with an NKey (external servers only).
	NKeySeedFile string `yaml:"nkey_seed_file,omitempty"`
	// CredsFile authenticates with a JWT .creds file (external servers only).
	CredsFile string `yaml:"creds_file,omitempty"`
	// TLS configures TLS to external servers.
	TLS TLSConfig `yaml:"tls,omitempty"`

	// Embedded configures the in-process server used when URL is empty.
	Embedded EmbeddedConfig `yaml:"embedded,omitempty"`
	// Streams sets retention and replication of the scamscreen streams.
	Streams StreamsConfig `yaml:"streams,omitempty"`

	// RawInlineLimit is the largest raw original, in bytes, kept inline in
	// a message; larger originals go to the object store. At most
	// [MaxRawInlineLimit].
	RawInlineLimit int `yaml:"raw_inline_limit,omitempty"`
	// RequestTimeout bounds one attempt of a publish (waiting for its ack)
	// or of a JetStream API request.
	RequestTimeout time.Duration `yaml:"request_timeout,omitempty"`
	// RequestAttempts is how many times a publish or API request that timed
	// out or found no leader is sent (publishes again with the same
	// message id) before the error is returned. A cluster loses requests
	// while routes settle or a node dies; retrying is what makes that
	// invisible.
	RequestAttempts int `yaml:"request_attempts,omitempty"`
	// ConnectTimeout bounds the first connection (and the embedded
	// server's start when the context passed to Open has no deadline).
	ConnectTimeout time.Duration `yaml:"connect_timeout,omitempty"`
	// DrainTimeout bounds draining the connection in [Bus.Close].
	DrainTimeout time.Duration `yaml:"drain_timeout,omitempty"`
}

// TLSConfig configures TLS for connections to external servers.
type TLSConfig struct {
	// CAFile is a PEM bundle of the CAs to trust instead of the system's.
	CAFile string `yaml:"ca_file,omitempty"`
	// CertFile and KeyFile are a client certificate for mutual TLS; both or
	// neither.
	CertFile string `yaml:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file,omitempty"`
	// ServerName overrides the name checked in the server's certificate.
	ServerName string `yaml:"server_name,omitempty"`
	// InsecureSkipVerify turns certificate checks off. It is refused unless
	// every URL is on a loopback address.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty"`
}

func (t TLSConfig) enabled() bool {
	return t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.InsecureSkipVerify
}

// EmbeddedConfig configures the embedded nats-server.
type EmbeddedConfig struct {
	// StoreDir holds the JetStream files and the lock that keeps a second
	// process off them. Required in embedded mode.
	StoreDir string `yaml:"store_dir,omitempty"`
	// Listen is host:port of a TCP listener for other processes (port 0
	// picks a free one). Empty means no listener: only this process can
	// reach the server. A listener on a non-loopback address requires
	// user/password or token authentication.
	Listen string `yaml:"listen,omitempty"`
	// ServerName is the server's fixed name.
	ServerName string `yaml:"server_name,omitempty"`
	// MaxMemory and MaxStore cap JetStream memory and disk use in bytes;
	// zero lets the server choose.
	MaxMemory int64 `yaml:"max_memory,omitempty"`
	MaxStore  int64 `yaml:"max_store,omitempty"`
	// SyncAlways fsyncs every write: survives power loss, costs
	// throughput. Without it data survives a process crash and is synced
	// every two minutes.
	SyncAlways bool `yaml:"sync_always,omitempty"`
}

// StreamsConfig sets limits applied to every stream, with optional
// per-stream overrides.
type StreamsConfig struct {
	// MaxAge is how long messages are kept.
	MaxAge config.Duration `yaml:"max_age,omitempty"`
	// MaxBytes caps each stream's size; the oldest messages are discarded
	// first. Zero or -1 means unlimited.
	MaxBytes int64 `yaml:"max_bytes,omitempty"`
	// Replicas is the number of copies in a cluster (1, 3 or 5 usually);
	// the embedded server supports only 1.
	Replicas int `yaml:"replicas,omitempty"`
	// Duplicates is the window in which a second publish with the same
	// message id is dropped (default [DefaultDuplicates]); exactly-once
	// holds only inside it, so keep it at least as long as the SMS replay
	// windows and IMAP reconnect backoff. It must be shorter than MaxAge.
	Duplicates config.Duration `yaml:"duplicates,omitempty"`
	// Overrides replace the limits above for single streams, keyed by
	// stream name (INBOUND, VERDICTS, ALERTS, DEADLETTER); zero fields
	// inherit.
	Overrides map[string]StreamLimits `yaml:"overrides,omitempty"`
}

// StreamLimits are the per-stream overridable limits.
type StreamLimits struct {
	MaxAge     config.Duration `yaml:"max_age,omitempty"`
	MaxBytes   int64           `yaml:"max_bytes,omitempty"`
	Replicas   int             `yaml:"replicas,omitempty"`
	Duplicates config.Duration `yaml:"duplicates,omitempty"`
}

// Limits returns the effective limits of stream name: the override's
// non-zero fields over the stream-wide values over the defaults.
func (s StreamsConfig) Limits(name string) StreamLimits {
	l := StreamLimits{MaxAge: s.MaxAge, MaxBytes: s.MaxBytes, Replicas: s.Replicas, Duplicates: s.Duplicates}
	if o, ok := s.Overrides[name]; ok {
		if o.MaxAge != 0 {
			l.MaxAge = o.MaxAge
		}
		if o.MaxBytes != 0 {
			l.MaxBytes = o.MaxBytes
		}
		if o.Replicas != 0 {
			l.Replicas = o.Replicas
		}
		if o.Duplicates != 0 {
			l.Duplicates = o.Duplicates
		}
	}
	if l.MaxAge == 0 {
		l.MaxAge = config.Duration(DefaultMaxAge)
	}
	if l.Replicas == 0 {
		l.Replicas = DefaultReplicas
	}
	if l.Duplicates == 0 {
		l.Duplicates = config.Duration(DefaultDuplicates)
	}
	if l.MaxBytes == 0 {
		l.MaxBytes = -1
	}
	return l
}

// URLList is a list of server URLs. In YAML it is a list or a single
// comma-separated string.
type URLList []string

// UnmarshalText splits a comma-separated string; it lets YAML and
// environment overrides give the list as one scalar.
func (u *URLList) UnmarshalText(text []byte) error {
	*u = splitURLs([]string{string(text)})
	return nil
}

func splitURLs(in []string) []string {
	var out []string
	for _, s := range in {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// DefaultConfig returns a configuration with every default filled in and no
// URL (embedded mode); StoreDir still has to be set.
func DefaultConfig() Config {
	var c Config
	c.defaults()
	return c
}

// defaults fills the zero fields of c.
func (c *Config) defaults() {
	c.URL = splitURLs(c.URL)
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.Embedded.ServerName == "" {
		c.Embedded.ServerName = DefaultServerName
	}
	if c.Streams.MaxAge == 0 {
		c.Streams.MaxAge = config.Duration(DefaultMaxAge)
	}
	if c.Streams.Replicas == 0 {
		c.Streams.Replicas = DefaultReplicas
	}
	if c.Streams.Duplicates == 0 {
		c.Streams.Duplicates = config.Duration(DefaultDuplicates)
	}
	if c.RawInlineLimit == 0 {
		c.RawInlineLimit = DefaultRawInlineLimit
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.RequestAttempts == 0 {
		c.RequestAttempts = DefaultRequestAttempts
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
}

// IsEmbedded reports whether c selects the embedded server (no URL).
func (c *Config) IsEmbedded() bool { return len(splitURLs(c.URL)) == 0 }

// FieldError is one configuration problem and the YAML path of the field
// that has it, such as "nats.streams.max_age".
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

// Validate checks c with defaults applied to its zero fields and returns
// every problem at once, joined, each a [*FieldError]. It does not read
// secret files or environment variables; [Open] does, and fails if they are
// missing.
func (c Config) Validate() error {
	c.defaults()
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: ConfigPath + "." + path, Msg: fmt.Sprintf(format, args...)})
	}
	embedded := len(c.URL) == 0

	for i, raw := range c.URL {
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "":
			add(fmt.Sprintf("url[%d]", i), "not a URL like nats://host:4222")
		case u.User != nil:
			add(fmt.Sprintf("url[%d]", i), "credentials in the URL are not allowed: use user with password, or token")
		case !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme):
			add(fmt.Sprintf("url[%d]", i), "scheme %q is not nats, tls, ws or wss", u.Scheme)
		}
	}

	// One authentication method.
	hasPassword := c.Password.IsSet()
	if c.User != "" && !hasPassword {
		add("user", "needs password")
	}
	if hasPassword && c.User == "" {
		add("user", "required with password")
	}
	var methods []string
	if c.User != "" || hasPassword {
		methods = append(methods, "user/password")
	}
	if c.Token.IsSet() {
		methods = append(methods, "token")
	}
	if c.NKeySeedFile != "" {
		methods = append(methods, "nkey_seed_file")
	}
	if c.CredsFile != "" {
		methods = append(methods, "creds_file")
	}
	if len(methods) > 1 {
		add("user", "choose one authentication method, not %s", strings.Join(methods, " and "))
	}

	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		add("tls.cert_file", "cert_file and key_file go together")
	}
	if c.TLS.InsecureSkipVerify && !allLoopback(c.URL) {
		add("tls.insecure_skip_verify", "allowed only when every url is a loopback address")
	}

	if embedded {
		if c.Embedded.StoreDir == "" {
			add("embedded.store_dir", "required when no url is set (the embedded server keeps its data there)")
		}
		if c.NKeySeedFile != "" || c.CredsFile != "" {
			add("nkey_seed_file", "nkey_seed_file and creds_file need an external server (url)")
		}
		if c.TLS.enabled() {
			add("tls", "tls applies to external servers (url) only")
		}
		if c.Embedded.Listen != "" {
			host, port, err := net.SplitHostPort(c.Embedded.Listen)
			if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
				add("embedded.listen", "not host:port")
			} else if !isLoopback(host) && len(methods) == 0 {
				add("embedded.listen", "a listener on a non-loopback address needs user/password or token authentication")
			}
		}
		if c.Streams.Replicas > 1 {
			add("streams.replicas", "the embedded server is a single node: replicas must be 1")
		}
		for name, o := range c.Streams.Overrides {
			if o.Replicas > 1 {
				add("streams.overrides."+name+".replicas", "the embedded server is a single node: replicas must be 1")
			}
		}
	}
	if c.Embedded.MaxMemory < 0 {
		add("embedded.max_memory", "must not be negative")
	}
	if c.Embedded.MaxStore < 0 {
		add("embedded.max_store", "must not be negative")
	}
	if !validServerName(c.Embedded.ServerName) {
		add("embedded.server_name", "use letters, digits, '-' and '_' only")
	}

	checkLimits := func(path string, l StreamLimits) {
		if l.MaxAge < 0 {
			add(path+".max_age", "must not be negative")
		}
		if l.MaxBytes < -1 {
			add(path+".max_bytes", "must be -1 (unlimited) or more")
		}
		if l.Replicas < 0 || l.Replicas > 5 {
			add(path+".replicas", "must be between 1 and 5")
		}
		if l.Duplicates < 0 {
			add(path+".duplicates", "must not be negative")
		}
	}
	checkLimits("streams", StreamLimits{MaxAge: c.Streams.MaxAge, MaxBytes: c.Streams.MaxBytes, Replicas: c.Streams.Replicas, Duplicates: c.Streams.Duplicates})
	known := make(map[string]bool, len(event.Streams))
	for _, s := range event.Streams {
		known[s.Name] = true
	}
	for _, name := range sortedKeys(c.Streams.Overrides) {
		path := "streams.overrides." + name
		if !known[name] {
			add(path, "unknown stream (known: %s)", strings.Join(streamNames(), ", "))
			continue
		}
		checkLimits(path, c.Streams.Overrides[name])
	}
	for _, s := range event.Streams {
		l := c.Streams.Limits(s.Name)
		if l.MaxAge > 0 && l.Duplicates > 0 && l.Duplicates >= l.MaxAge {
			path := "streams.duplicates"
			if _, ok := c.Streams.Overrides[s.Name]; ok {
				path = "streams.overrides." + s.Name + ".duplicates"
			}
			add(path, "%s for stream %s must be shorter than max_age %s", l.Duplicates, s.Name, l.MaxAge)
		}
	}

	if c.RawInlineLimit < 0 || c.RawInlineLimit > MaxRawInlineLimit {
		add("raw_inline_limit", "must be between 1 and %d bytes", MaxRawInlineLimit)
	}
	if c.RequestTimeout < 0 {
		add("request_timeout", "must not be negative")
	}
	if c.RequestAttempts < 0 {
		add("request_attempts", "must not be negative")
	}
	if c.ConnectTimeout < 0 {
		add("connect_timeout", "must not be negative")
	}
	if c.DrainTimeout < 0 {
		add("drain_timeout", "must not be negative")
	}
	return errors.Join(errs...)
}

func streamNames() []string {
	names := make([]string, len(event.Streams))
	for i, s := range event.Streams {
		names[i] = s.Name
	}
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func validServerName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func allLoopback(urls []string) bool {
	if len(urls) == 0 {
		return true
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || !isLoopback(u.Hostname()) {
			return false
		}
	}
	return true
}

// readSecret returns the value of a secret, with surrounding white space
// removed. what names the secret in errors; the value never appears in one.
func readSecret(what string, s config.Secret) (string, error) {
	v, err := s.Resolve()
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if v = strings.TrimSpace(v); v == "" {
		return "", fmt.Errorf("%s: %s is blank", what, s.Source())
	}
	return v, nil
}
