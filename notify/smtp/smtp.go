package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"go.uber.org/zap"
	"golang.org/x/text/encoding/japanese"

	"github.com/scamscreen/scamscreen/notify"
)

// Config is notify.SMTPConfig.
type Config = notify.SMTPConfig

const name = "smtp"

// Channel sends alerts as e-mail through a relay, one message and one
// connection per recipient. It implements notify.Channel and is safe for
// concurrent use. Create it with [New].
type Channel struct {
	cfg      Config
	from     *mail.Address
	password string
	tls      *tls.Config
	dialer   func(ctx context.Context, network, addr string) (net.Conn, error)
	log      *zap.Logger
}

var _ notify.Channel = (*Channel)(nil)

type options struct {
	tls    *tls.Config
	dialer func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Option configures a [Channel].
type Option func(*options)

// WithTLSConfig uses tc (cloned; ServerName defaults to the host) instead
// of one built from ca_file and server_name. Tests trust their
// self-signed server this way.
func WithTLSConfig(tc *tls.Config) Option { return func(o *options) { o.tls = tc } }

// WithDialer replaces the network dialer.
func WithDialer(d func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dialer = d }
}

// New reads the password secret and the CA file and returns the channel.
func New(cfg Config, logger *zap.Logger, opts ...Option) (*Channel, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	if !cfg.Configured() {
		return nil, errors.New("smtp: host is not configured")
	}
	full := notify.Config{SMTP: cfg}
	full.ApplyDefaults()
	cfg = full.SMTP
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, errors.New("smtp from: not an e-mail address")
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	c := &Channel{cfg: cfg, from: from, log: logger.Named("smtp"), dialer: o.dialer}
	if c.dialer == nil {
		d := &net.Dialer{Timeout: cfg.Timeout.Std()}
		c.dialer = d.DialContext
	}
	if cfg.Username != "" {
		if c.password, err = cfg.Password.Resolve(); err != nil {
			return nil, fmt.Errorf("smtp password: %w", err)
		}
	}
	switch {
	case o.tls != nil:
		c.tls = o.tls.Clone()
	default:
		c.tls = &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("smtp ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, errors.New("smtp ca_file: no PEM certificate")
			}
			c.tls.RootCAs = pool
		}
	}
	if c.tls.ServerName == "" {
		c.tls.ServerName = cfg.ServerName
	}
	if c.tls.ServerName == "" {
		c.tls.ServerName = cfg.Host
	}
	return c, nil
}

// Send composes d as an e-mail and delivers it to the recipient. The
// Message-ID is derived from the alert id, so a repeated attempt carries
// the same one and mail clients can drop the copy. It returns the
// Message-ID, with the relay's queue id when it reports one.
func (c *Channel) Send(ctx context.Context, d *notify.Delivery) (string, error) {
	if d.To.Email == "" {
		return "", (&notify.SendError{Channel: name, Reason: notify.ReasonConfig, Detail: "no e-mail address for the recipient"}).Classified()
	}
	msgID := MessageID(d.Alert.ID, c.from.Address)
	body, err := c.Compose(d, msgID, time.Now())
	if err != nil {
		return "", (&notify.SendError{Channel: name, Reason: notify.ReasonConfig, Detail: "message could not be composed", Err: err}).Classified()
	}
	queued, err := c.deliver(ctx, d.To.Email, body)
	if err != nil {
		return "", err
	}
	if queued != "" {
		return msgID + " " + queued, nil
	}
	return msgID, nil
}

// MessageID is the Message-ID of an alert's e-mail: the alert id at the
// sender's domain.
func MessageID(alertID, from string) string {
	domain := "scamscreen.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	return alertID + "@" + domain
}

// stage tracks how far an SMTP exchange got, so a failure after DATA was
// sent is reported as unsure.
type stage int

const (
	stageConnect stage = iota
	stageData
	stageDone
)

func (c *Channel) deliver(ctx context.Context, to string, body []byte) (queued string, err error) {
	addr := net.JoinHostPort(c.cfg.Host, strconv.Itoa(c.cfg.Port))
	st := stageConnect
	fail := func(err error) error { return c.classify(ctx, err, st) }

	conn, err := c.dialer(ctx, "tcp", addr)
	if err != nil {
		return "", fail(err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Closing the connection is how a cancelled context interrupts a
	// blocked read or write.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	var cl *gosmtp.Client
	switch c.cfg.TLS {
	case notify.TLSImplicit:
		tc := tls.Client(conn, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return "", fail(err)
		}
		cl = gosmtp.NewClient(tc)
	case notify.TLSStartTLS:
		cl, err = gosmtp.NewClientStartTLS(conn, c.tls)
		if err != nil {
			conn.Close()
			return "", fail(err)
		}
	default:
		cl = gosmtp.NewClient(conn)
	}
	defer cl.Close()
	cl.CommandTimeout = c.cfg.Timeout.Std()
	cl.SubmissionTimeout = c.cfg.Timeout.Std()
	// Hello surfaces a failed TLS handshake as itself rather than as a
	// missing extension later.
	if err := cl.Hello(c.cfg.HeloName); err != nil {
		return "", fail(err)
	}
	if c.cfg.Username != "" {
		if _, isTLS := cl.TLSConnectionState(); !isTLS && !loopback(c.cfg.Host) {
			return "", (&notify.SendError{Channel: name, Reason: notify.ReasonConfig, Detail: "refusing to authenticate without TLS"}).Classified()
		}
		if err := cl.Auth(sasl.NewPlainClient("", c.cfg.Username, c.password)); err != nil {
			return "", fail(err)
		}
	}
	if err := cl.Mail(c.from.Address, nil); err != nil {
		return "", fail(err)
	}
	if err := cl.Rcpt(to, nil); err != nil {
		return "", fail(err)
	}
	w, err := cl.Data()
	if err != nil {
		return "", fail(err)
	}
	st = stageData
	if _, err := w.Write(body); err != nil {
		return "", fail(err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", fail(err)
	}
	st = stageDone
	if err := cl.Quit(); err != nil {
		c.log.Debug("smtp quit", zap.Error(err))
	}
	if resp != nil {
		queued = queueID(resp.StatusText)
	}
	return queued, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// queueID pulls a relay's queue id out of its final reply, as in
// "2.0.0 Ok: queued as 4Xyz" (Postfix); "" when there is none.
func queueID(text string) string {
	if _, after, ok := strings.Cut(text, "queued as "); ok {
		f := strings.Fields(after)
		if len(f) > 0 {
			return strings.Trim(f[0], "<>.,;")
		}
	}
	return ""
}

// classify maps an SMTP exchange error: 5xx replies are permanent (550
// mailbox unavailable, 553 bad address: invalid recipient; 535: auth), 4xx
// temporary; network failures temporary, and unsure once DATA was sent.
func (c *Channel) classify(ctx context.Context, err error, st stage) error {
	se := &notify.SendError{Channel: name}
	var smtpErr *gosmtp.SMTPError
	switch {
	case errors.As(err, &smtpErr):
		// The reply text often quotes the address: only its redacted form
		// is kept, not the error itself.
		se.Status = smtpErr.Code
		se.Detail = notify.Redact(smtpErr.Message)
		switch {
		case smtpErr.Code == 535 || smtpErr.Code == 534 || smtpErr.Code == 530:
			se.Reason = notify.ReasonAuth
		case smtpErr.Code == 550 || smtpErr.Code == 551 || smtpErr.Code == 553 || smtpErr.Code == 501 && st == stageConnect:
			se.Reason = notify.ReasonInvalidRecipient
		case smtpErr.Code >= 500:
			se.Reason = notify.ReasonRejected
		case smtpErr.Code == 421 || smtpErr.Code == 450 || smtpErr.Code == 451 || smtpErr.Code == 452:
			se.Reason = notify.ReasonUnavailable
		default:
			se.Reason = notify.ReasonUnavailable
		}
	default:
		var certErr *tls.CertificateVerificationError
		var unknownAuth x509.UnknownAuthorityError
		var hostErr x509.HostnameError
		se.Err = err
		switch {
		case errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr):
			se.Reason, se.Detail = notify.ReasonConfig, "the relay's certificate is not trusted"
		case strings.Contains(err.Error(), "doesn't support STARTTLS"):
			se.Reason, se.Detail = notify.ReasonConfig, "the relay does not offer STARTTLS"
		case strings.Contains(err.Error(), "doesn't support AUTH"):
			se.Reason, se.Detail = notify.ReasonConfig, "the relay does not offer AUTH"
		default:
			se.Reason, se.Err = notify.ReasonNetwork, err
			if r := notify.ContextReason(ctx.Err()); r != "" {
				se.Reason, se.Err = r, ctx.Err()
			} else {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					se.Reason = notify.ReasonTimeout
				}
			}
			se.Detail = "connection to the relay failed"
			se.Unsure = st == stageData
		}
	}
	return se.Classified()
}

// Compose writes the alert as an RFC 5322 message: From, To, Subject,
// Date, Message-ID, and a single text/plain part. With charset
// iso-2022-jp the subject is B-encoded ISO-2022-JP and the body 7-bit
// ISO-2022-JP, unless the text has characters ISO-2022-JP lacks; then, as
// with utf-8, the subject is B-encoded UTF-8 and the body UTF-8 in
// quoted-printable.
func (c *Channel) Compose(d *notify.Delivery, msgID string, now time.Time) ([]byte, error) {
	subject, text := d.Message.Subject, d.Message.Text
	if !utf8.ValidString(subject) || !utf8.ValidString(text) {
		return nil, errors.New("alert text is not valid UTF-8")
	}
	var h gomail.Header
	h.SetDate(now)
	h.SetMessageID(msgID)
	h.SetAddressList("From", []*gomail.Address{{Name: c.from.Name, Address: c.from.Address}})
	h.SetAddressList("To", []*gomail.Address{{Name: d.To.Name, Address: d.To.Email}})
	h.Set("Auto-Submitted", "auto-generated")
	h.Set("X-Scamscreen-Alert", d.Alert.ID)

	var body []byte
	jis := false
	if c.cfg.Charset == notify.CharsetISO2022JP {
		if subj, ok := encodeISO2022JPWord(subject); ok {
			if b, err := japanese.ISO2022JP.NewEncoder().String(crlf(text)); err == nil {
				h.Set("Subject", subj)
				body = []byte(b)
				jis = true
			}
		}
	}
	if !jis {
		h.Set("Subject", mime.BEncoding.Encode("UTF-8", subject))
		body = []byte(crlf(text))
	}
	var buf bytes.Buffer
	if jis {
		h.SetContentType("text/plain", map[string]string{"charset": "ISO-2022-JP"})
		h.Set("Content-Transfer-Encoding", "7bit")
	} else {
		h.SetContentType("text/plain", map[string]string{"charset": "UTF-8"})
		h.Set("Content-Transfer-Encoding", "quoted-printable")
	}
	if jis {
		// go-message writes only UTF-8 bodies: write the header with its
		// textproto writer and the already encoded 7-bit body after it.
		if err := textproto.WriteHeader(&buf, h.Header.Header); err != nil {
			return nil, err
		}
		buf.Write(body)
		return buf.Bytes(), nil
	}
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(w, bytes.NewReader(body)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n") + "\r\n"
}

// maxWordBytes is how many ISO-2022-JP bytes fit one encoded word of at
// most 75 characters: "=?ISO-2022-JP?B?" + base64 + "?=".
const maxWordBytes = (75 - len("=?ISO-2022-JP?B?") - len("?=")) / 4 * 3

// encodeISO2022JPWord B-encodes s as ISO-2022-JP encoded words, each a
// complete ISO-2022-JP string that starts and ends in ASCII, split between
// characters. ok is false when s has a character ISO-2022-JP lacks.
func encodeISO2022JPWord(s string) (string, bool) {
	if s == "" {
		return "", true
	}
	var words []string
	var chunk []rune
	enc := func(rs []rune) ([]byte, bool) {
		b, err := japanese.ISO2022JP.NewEncoder().Bytes([]byte(string(rs)))
		return b, err == nil
	}
	flush := func() bool {
		if len(chunk) == 0 {
			return true
		}
		b, ok := enc(chunk)
		if !ok {
			return false
		}
		words = append(words, "=?ISO-2022-JP?B?"+base64.StdEncoding.EncodeToString(b)+"?=")
		chunk = chunk[:0]
		return true
	}
	for _, r := range s {
		next := append(chunk, r)
		b, ok := enc(next)
		if !ok {
			if _, single := enc([]rune{r}); !single {
				return "", false
			}
		}
		if ok && len(b) <= maxWordBytes {
			chunk = next
			continue
		}
		if !flush() {
			return "", false
		}
		chunk = append(chunk, r)
	}
	if !flush() {
		return "", false
	}
	return strings.Join(words, " "), true
}
