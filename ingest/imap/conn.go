package imap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"mime"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	imapclient "github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// errTimeout reports a server that did not answer within the command
// timeout; the connection was closed.
var errTimeout = errors.New("imap server did not answer in time")

// conn is one logged-in IMAP connection with a watchdog. go-imap commands
// take no context and have no deadline while waiting for a response, so
// every wait here is guarded: when the guard fires, or the owner's context
// ends, the connection is closed and the waiting command fails.
type conn struct {
	c        *imapclient.Client
	raw      net.Conn // the transport under c, for aborting without waiting
	timeout  time.Duration
	timedOut atomic.Bool
	stopCtx  func() bool
	updates  chan struct{} // a new EXISTS arrived (buffered 1)

	closeOnce sync.Once
}

// dialer opens connections for one account.
type dialer struct {
	cfg  *Config
	acct *Account
}

// dial connects, secures and logs in. The returned conn is closed when
// ctx ends (after grace, so a caller may log out cleanly first).
func (d dialer) dial(ctx context.Context, grace time.Duration) (*conn, error) {
	m := &d.acct.Mailbox
	cn := &conn{timeout: d.cfg.CommandTimeout.Std(), updates: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs on the client's reader goroutine: never block here.
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case cn.updates <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	tlsCfg, err := d.tlsConfig()
	if err != nil {
		return nil, &opError{kind: kindConfig, err: err}
	}
	opts.TLSConfig = tlsCfg

	dctx, cancel := context.WithTimeout(ctx, d.cfg.DialTimeout.Std())
	defer cancel()
	nd := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{
		Enable:   true,
		Idle:     d.cfg.Keepalive.Std(),
		Interval: max(d.cfg.Keepalive.Std()/4, time.Second),
		Count:    4,
	}}
	raw, err := nd.DialContext(dctx, "tcp", m.addr())
	if err != nil {
		return nil, &opError{kind: kindDial, err: err}
	}
	// Bound TLS and greeting by the dial timeout too.
	_ = raw.SetDeadline(time.Now().Add(d.cfg.DialTimeout.Std()))
	var c *imapclient.Client
	switch m.tlsMode() {
	case TLSImplicit:
		tc := tls.Client(raw, tlsCfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, &opError{kind: kindTLS, err: err}
		}
		c = imapclient.New(tc, opts)
	case TLSStartTLS:
		c, err = imapclient.NewStartTLS(raw, opts)
		if err != nil {
			raw.Close()
			return nil, &opError{kind: kindTLS, err: err}
		}
	default:
		c = imapclient.New(raw, opts)
	}
	cn.c, cn.raw = c, raw
	// go-imap gives the greeting 30 seconds whatever the deadline says.
	greet := time.AfterFunc(d.cfg.DialTimeout.Std(), func() { cn.timedOut.Store(true); _ = raw.Close() })
	err = c.WaitGreeting()
	greet.Stop()
	if err != nil {
		cn.close()
		if cn.timedOut.Load() {
			err = fmt.Errorf("%w: %w", errTimeout, err)
		}
		return nil, &opError{kind: kindProtocol, err: fmt.Errorf("greeting: %w", err)}
	}
	cn.timedOut.Store(false)
	_ = raw.SetDeadline(time.Time{})
	cn.stopCtx = context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, cn.close)
		<-c.Closed()
		t.Stop()
	})
	if err := cn.login(m); err != nil {
		cn.close()
		return nil, err
	}
	return cn, nil
}

func (d dialer) tlsConfig() (*tls.Config, error) {
	m := &d.acct.Mailbox
	cfg := &tls.Config{ServerName: m.Host, MinVersion: tls.VersionTLS12}
	if m.ServerName != "" {
		cfg.ServerName = m.ServerName
	}
	if m.CAFile != "" {
		pem, err := os.ReadFile(m.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mailbox %s: ca_file: %w", m.ID, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mailbox %s: ca_file holds no PEM certificate", m.ID)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func (cn *conn) login(m *Mailbox) error {
	if m.XOAuth2Token.IsSet() {
		token, err := m.XOAuth2Token.Resolve()
		if err != nil {
			return &opError{kind: kindConfig, err: fmt.Errorf("mailbox %s: xoauth2_token: %w", m.ID, err)}
		}
		if !cn.c.Caps().Has(goimap.AuthCap(xoauth2Mech)) {
			return &opError{kind: kindAuth, err: errors.New("server does not offer AUTH=XOAUTH2")}
		}
		err = cn.guard(func() error { return cn.c.Authenticate(newXOAuth2Client(m.Username, token)) })
		if err != nil {
			return &opError{kind: kindAuth, err: err}
		}
		return nil
	}
	pw, err := m.Password.Resolve()
	if err != nil {
		return &opError{kind: kindConfig, err: fmt.Errorf("mailbox %s: password: %w", m.ID, err)}
	}
	if err := cn.guard(func() error { return cn.c.Login(m.Username, pw).Wait() }); err != nil {
		return &opError{kind: kindAuth, err: err}
	}
	return nil
}

// guard runs fn, closing the connection if it takes longer than the
// command timeout.
func (cn *conn) guard(fn func() error) error {
	t := time.AfterFunc(cn.timeout, func() {
		cn.timedOut.Store(true)
		cn.close()
	})
	err := fn()
	t.Stop()
	if err != nil && cn.timedOut.Load() {
		return fmt.Errorf("%w: %w", errTimeout, err)
	}
	return err
}

// close closes the connection at once.
func (cn *conn) close() {
	cn.closeOnce.Do(func() {
		if cn.stopCtx != nil {
			cn.stopCtx()
		}
		_ = cn.c.Close()
	})
}

// abort ends a command the caller stops reading in the middle of: it
// cuts the transport, drains what go-imap's reader goroutine still wants
// to hand over (it blocks until every literal is consumed), then closes.
func (cn *conn) abort(cmd *imapclient.FetchCommand) {
	_ = cn.raw.Close()
	_ = cmd.Close()
	cn.close()
}

// logout ends the session politely (bounded by a short guard) and closes
// the connection.
func (cn *conn) logout() {
	t := time.AfterFunc(5*time.Second, cn.close)
	_ = cn.c.Logout().Wait()
	t.Stop()
	cn.close()
}

// supportsIdle reports whether the server offers IDLE.
func (cn *conn) supportsIdle() bool {
	caps := cn.c.Caps()
	return caps.Has(goimap.CapIdle)
}

// pendingUpdate reports (and consumes) a new-mail signal.
func (cn *conn) pendingUpdate() bool {
	select {
	case <-cn.updates:
		return true
	default:
		return false
	}
}

// errKind classifies failures for metrics and backoff decisions.
type errKind string

const (
	kindConfig     errKind = "config"
	kindDial       errKind = "dial"
	kindTLS        errKind = "tls"
	kindAuth       errKind = "auth"
	kindProtocol   errKind = "protocol"
	kindSelect     errKind = "select"
	kindFetch      errKind = "fetch"
	kindPublish    errKind = "publish"
	kindCheckpoint errKind = "checkpoint"
	kindTimeout    errKind = "timeout"
	kindClosed     errKind = "closed"
)

// allErrKinds lists the kinds for pre-creating metric series.
var allErrKinds = []errKind{kindConfig, kindDial, kindTLS, kindAuth, kindProtocol, kindSelect, kindFetch, kindPublish, kindCheckpoint, kindTimeout, kindClosed}

// opError is a failure of one step of a folder session.
type opError struct {
	kind errKind
	err  error
}

func (e *opError) Error() string { return string(e.kind) + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// kindOf returns the kind of err: the opError's kind, or timeout when the
// watchdog fired.
func kindOf(err error) errKind {
	if errors.Is(err, errTimeout) {
		return kindTimeout
	}
	var oe *opError
	if errors.As(err, &oe) {
		return oe.kind
	}
	return kindProtocol
}
