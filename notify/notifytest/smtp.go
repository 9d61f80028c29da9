package notifytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// SMTP credentials the fake accepts.
const (
	SMTPUser     = "alerts@scamscreen.test"
	SMTPPassword = "smtp-test-password-0123"
)

// SMTPMode is how the fake SMTP server answers.
type SMTPMode int

// Modes.
const (
	// SMTPAccept takes every message.
	SMTPAccept SMTPMode = iota
	// SMTPRejectRecipient answers RCPT with 550 5.1.1.
	SMTPRejectRecipient
	// SMTPAuthFail answers AUTH with 535 5.7.8.
	SMTPAuthFail
	// SMTPTempFail answers MAIL with 451 4.3.0 (greylisting, a full queue).
	SMTPTempFail
	// SMTPHang stops answering after DATA until the client gives up or the
	// server closes.
	SMTPHang
)

// SMTPTLS is the transport security of the fake.
type SMTPTLS int

// TLS variants.
const (
	SMTPPlain SMTPTLS = iota
	SMTPStartTLS
	SMTPImplicitTLS
)

// SMTPMessage is one message the server accepted.
type SMTPMessage struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool
	AuthUser string
	At       time.Time
}

// SMTPServer is an in-process go-smtp server on 127.0.0.1 that records
// what it receives. It requires AUTH PLAIN ([SMTPUser], [SMTPPassword])
// when auth is on. It is safe for concurrent use.
type SMTPServer struct {
	srv     *gosmtp.Server
	ln      net.Listener
	tlsMode SMTPTLS
	pool    *x509.CertPool
	auth    bool

	mu       sync.Mutex
	mode     SMTPMode
	messages []SMTPMessage
	release  chan struct{}
	closed   bool
	done     chan struct{}
}

// NewSMTPServer starts a server with the given transport security; auth
// makes it require AUTH before MAIL.
func NewSMTPServer(mode SMTPTLS, auth bool) (*SMTPServer, error) {
	s := &SMTPServer{tlsMode: mode, auth: auth, release: make(chan struct{}), done: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &smtpSession{s: s, conn: c}, nil
	}))
	srv.Domain = "mx.scamscreen.test"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.AllowInsecureAuth = mode == SMTPPlain
	if mode != SMTPPlain {
		cert, pool, err := selfSigned()
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.pool = pool
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if mode == SMTPStartTLS {
			srv.TLSConfig = tc
		} else {
			ln = tls.NewListener(ln, tc)
		}
	}
	s.srv, s.ln = srv, ln
	go func() {
		defer close(s.done)
		_ = srv.Serve(ln)
	}()
	return s, nil
}

// Host is 127.0.0.1.
func (s *SMTPServer) Host() string { return "127.0.0.1" }

// Port is the listening port.
func (s *SMTPServer) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Addr is host:port.
func (s *SMTPServer) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())) }

// TLSConfig is a client configuration that trusts the server's
// self-signed certificate (nil for a plain server).
func (s *SMTPServer) TLSConfig() *tls.Config {
	if s.pool == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// SetMode sets how the server answers from now on.
func (s *SMTPServer) SetMode(m SMTPMode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// Messages returns the accepted messages.
func (s *SMTPServer) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Close stops the server and releases hanging sessions.
func (s *SMTPServer) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.release)
	}
	s.mu.Unlock()
	_ = s.srv.Close()
	// Serve may not have registered the listener with the server yet, in
	// which case Close above did not close it.
	_ = s.ln.Close()
	<-s.done
}

type smtpSession struct {
	s      *SMTPServer
	conn   *gosmtp.Conn
	user   string
	from   string
	to     []string
	authed bool
}

var (
	_ gosmtp.Session     = (*smtpSession)(nil)
	_ gosmtp.AuthSession = (*smtpSession)(nil)
)

func (ss *smtpSession) mode() SMTPMode {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	return ss.s.mode
}

func (ss *smtpSession) AuthMechanisms() []string {
	if !ss.s.auth {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if ss.mode() == SMTPAuthFail || username != SMTPUser || password != SMTPPassword {
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		ss.user, ss.authed = username, true
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *gosmtp.MailOptions) error {
	if ss.s.auth && !ss.authed {
		return &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	if ss.mode() == SMTPTempFail {
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if ss.mode() == SMTPRejectRecipient {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: Recipient address rejected: User unknown"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.mode() == SMTPHang {
		select {
		case <-ss.s.release:
		case <-time.After(time.Minute):
		}
		return errors.New("gave up")
	}
	_, isTLS := ss.conn.TLSConnectionState()
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, SMTPMessage{From: ss.from, To: slices.Clone(ss.to), Data: data, TLS: isTLS, AuthUser: ss.user, At: time.Now()})
	ss.s.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

func (ss *smtpSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "scamscreen test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
