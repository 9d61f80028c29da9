package sms

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twilio/twilio-go/client"
	"go.uber.org/zap"
	"golang.org/x/net/netutil"
	"golang.org/x/time/rate"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/internal/obs"
)

const (
	sourceTwilio     = "twilio"
	forwarderPrefix  = "forwarder:"
	typeForm         = "application/x-www-form-urlencoded"
	typeJSON         = "application/json"
	shutdownGrace    = 5 * time.Second // on top of the request timeout
	readHeaderBound  = 5 * time.Second
	idleConnLifetime = 60 * time.Second
	maxConns         = 1024 // open connections the listener accepts at once
)

// AckPublisher publishes a trusted contact's acknowledgement (an
// [event.Alert] with status acknowledged) on [event.AlertAckSubject] and
// returns once JetStream has acknowledged it. The CLI adapts the bus to it.
type AckPublisher interface {
	PublishAck(ctx context.Context, a *event.Alert) error
}

// Options are the optional collaborators of a [Server].
type Options struct {
	// Acks receives the replies of trusted contacts to the Twilio number.
	// Nil means such replies are answered 404 like any unknown number.
	Acks AckPublisher
	// Logger is named "sms" by New. Nil means no logging.
	Logger *zap.Logger
	// Registerer receives the listener's metrics (scamscreen_sms_*). Nil
	// means a private registry nobody reads.
	Registerer prometheus.Registerer
	// Now is the clock for replay windows and arrival times. Nil means
	// time.Now.
	Now func() time.Time
}

// Server is the SMS webhook listener. Create it with [New]; serve it with
// [Server.Run], or mount [Server.Handler] on a server of your own. It is
// safe for concurrent use.
type Server struct {
	cfg       Config
	dir       Directory
	pub       ingest.Publisher
	acks      AckPublisher
	log       *zap.Logger
	m         *metrics
	now       func() time.Time
	timeout   time.Duration
	maxBody   int64
	twilio    *client.RequestValidator // nil when Twilio is disabled
	publicURL string                   // without a trailing slash
	sources   map[string]*source
	sole      *source // the only source, when there is exactly one
	cert      *tls.Certificate
	handler   http.Handler

	running atomic.Bool
	started chan struct{}
	addr    atomic.Pointer[net.Addr]
}

// source is a configured forwarder or SMSC feed, ready to use.
type source struct {
	name    string
	format  string
	label   string // event.Message.Source
	device  string // E.164 of device_number, or ""
	tmpl    TemplateConfig
	auth    authenticator
	maxAge  time.Duration // body-only HMAC: how far the signed message time may be from now; 0: unchecked
	limiter *rate.Limiter
}

// New checks cfg, reads its secrets and certificate, and returns a Server.
// It opens no port: [Server.Run] does. dir and pub are required.
//
// Secrets are read once, here: after rotating an auth token or HMAC key,
// restart the listener.
func New(cfg Config, dir Directory, pub ingest.Publisher, opts Options) (*Server, error) {
	if dir == nil || pub == nil {
		return nil, errors.New("sms: a Directory and a Publisher are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sms config: %w", err)
	}
	cfg.Sources = append([]SourceConfig(nil), cfg.Sources...)
	cfg.defaults()
	s := &Server{
		cfg:       cfg,
		dir:       dir,
		pub:       pub,
		acks:      opts.Acks,
		log:       opts.Logger,
		now:       opts.Now,
		timeout:   cfg.RequestTimeout.Std(),
		maxBody:   int64(cfg.MaxBodySize),
		publicURL: strings.TrimSuffix(cfg.PublicURL, "/"),
		sources:   make(map[string]*source, len(cfg.Sources)),
		started:   make(chan struct{}),
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.log = s.log.Named("sms")
	if s.now == nil {
		s.now = time.Now
	}
	var errs []error
	if cfg.Twilio.Enabled() {
		tok, err := cfg.Twilio.AuthToken.Resolve()
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("twilio.auth_token: %w", err))
		case !alphanumeric(tok):
			// Every signature would fail; say so now rather than answer
			// Twilio 403 forever.
			errs = append(errs, fmt.Errorf("twilio.auth_token (%s): not letters and digits only; check for stray white space", cfg.Twilio.AuthToken.Source()))
		default:
			rv := client.NewRequestValidator(tok)
			s.twilio = &rv
		}
	}
	for i, sc := range cfg.Sources {
		src, err := newSource(sc)
		if err != nil {
			errs = append(errs, fmt.Errorf("sources[%d]: %w", i, err))
			continue
		}
		s.sources[src.name] = src
	}
	if len(cfg.Sources) == 1 {
		s.sole = s.sources[cfg.Sources[0].Name]
	}
	if cfg.TLS.Enabled() {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("tls: %w", err))
		}
		s.cert = &cert
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sms: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	s.m = m
	s.handler = s.routes()
	return s, nil
}

func alphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

func newSource(sc SourceConfig) (*source, error) {
	src := &source{
		name:    sc.Name,
		format:  sc.Format,
		label:   forwarderPrefix + sc.Name,
		tmpl:    sc.Template,
		limiter: rate.NewLimiter(rate.Limit(sc.RateLimit.PerMinute/60), sc.RateLimit.Burst),
	}
	if sc.DeviceNumber != "" {
		src.device, _ = Normalize(sc.DeviceNumber) // checked by Validate
	}
	switch sc.Auth.Kind {
	case AuthHMAC:
		key, err := sc.Auth.Secret.Resolve()
		if err != nil {
			return nil, fmt.Errorf("auth.secret: %w", err)
		}
		src.auth = newHMACAuth(sc.Format, key, sc.Auth)
		if sc.Auth.TimestampHeader == "" {
			src.maxAge = sc.Auth.ReplayWindow.Std()
		}
	case AuthBearer:
		tok, err := sc.Auth.Token.Resolve()
		if err != nil {
			return nil, fmt.Errorf("auth.token: %w", err)
		}
		src.auth = &bearerAuth{token: []byte(tok)}
	}
	return src, nil
}

// Handler returns the listener's routes:
//
//	POST /sms/twilio            Twilio inbound messages (when enabled)
//	POST /sms/inbound/{source}  forwarders and SMSC feeds
//	POST /sms/inbound           the same, source named by X-Scamscreen-Source
//	GET  /healthz               200 "ok" while the process serves
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/sms/twilio", s.wrap(endpointTwilio, s.handleTwilio))
	mux.Handle("/sms/inbound", s.wrap(endpointInbound, s.handleInbound))
	mux.Handle("/sms/inbound/{source}", s.wrap(endpointInbound, s.handleInbound))
	mux.Handle("/healthz", s.wrap(endpointHealth, s.handleHealth))
	mux.Handle("/", s.wrap(endpointOther, s.handleNotFound))
	return mux
}

// Run listens on cfg.Listen and serves until ctx is cancelled, then stops
// taking requests and lets those in flight finish (for at most the request
// timeout plus five seconds) before it returns nil. It returns an error if
// it cannot listen or the server fails. Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("sms: Run called twice")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("sms listen: %w", err)
	}
	addr := ln.Addr()
	s.addr.Store(&addr)
	// Timeouts bound each connection; this bounds how many there are, so
	// a listener exposed without a proxy cannot be made to hold thousands
	// of slow bodies at once.
	ln = netutil.LimitListener(ln, maxConns)
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderBound,
		ReadTimeout:       s.timeout,
		WriteTimeout:      s.timeout + shutdownGrace,
		IdleTimeout:       idleConnLifetime,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          zap.NewStdLog(s.log.Named("http").WithOptions(zap.IncreaseLevel(zap.WarnLevel))),
	}
	scheme := "http"
	if s.cert != nil {
		scheme = "https"
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*s.cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	close(s.started)
	s.log.Info("sms listener started",
		zap.String("listen", addr.String()), zap.String("scheme", scheme),
		zap.Bool("twilio", s.twilio != nil), zap.Int("sources", len(s.sources)))

	select {
	case err := <-errc:
		return fmt.Errorf("sms serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.timeout+shutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if err != nil {
		srv.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && serr != nil {
		err = errors.Join(err, serr)
	}
	s.log.Info("sms listener stopped")
	if err != nil {
		return fmt.Errorf("sms shutdown: %w", err)
	}
	return nil
}

// Started is closed once Run listens; see internal/app.Starter.
func (s *Server) Started() <-chan struct{} { return s.started }

// Addr is the address Run listens on (useful with port 0), or nil before
// [Server.Started] is closed.
func (s *Server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return nil
}

// statusWriter records the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap adds what every endpoint needs: the request timeout, metrics, and
// recovery from panics, which are answered 500 and logged with their
// stack but never their value unless it is a runtime error (a value may
// hold message content).
func (s *Server) wrap(endpoint string, h func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer func() {
			cancel()
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { // net/http's way to abort a response: let it through
					panic(v)
				}
				f := []zap.Field{zap.String("endpoint", endpoint), zap.String("panic_type", fmt.Sprintf("%T", v)), zap.Stack("stack")}
				if re, ok := v.(runtime.Error); ok {
					f = append(f, zap.String("panic", re.Error()))
				}
				s.log.Error("handler panicked", f...)
				s.m.rejected.WithLabelValues(endpoint, reasonInternal).Inc()
				if sw.status == 0 {
					s.writeRejection(sw, endpoint, rejectf(http.StatusInternalServerError, reasonInternal, "internal error"))
				}
			}
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			s.m.observe(endpoint, sw.status, time.Since(start))
		}()
		h(sw, r.WithContext(ctx))
	})
}

// writeRejection answers a rejected request in the endpoint's language:
// TwiML for Twilio, JSON for the rest.
func (s *Server) writeRejection(w http.ResponseWriter, endpoint string, rj *rejection) {
	if endpoint == endpointTwilio {
		setRejectionHeaders(w, rj)
		writeTwiML(w, rj.status)
		return
	}
	writeJSONRejection(w, rj)
}

// reject counts, logs and answers a rejection. Client mistakes are logged
// at warn level, server trouble at error level; fields must be ids, never
// content.
func (s *Server) reject(w http.ResponseWriter, endpoint, src string, rj *rejection, fields ...zap.Field) {
	s.m.rejected.WithLabelValues(endpoint, rj.reason).Inc()
	if rj.reason == reasonUnknown {
		s.m.unknown.WithLabelValues(endpoint).Inc()
	}
	lvl := zap.WarnLevel
	switch {
	case rj.status >= 500:
		lvl = zap.ErrorLevel
	case rj.reason == reasonNotFound || rj.reason == reasonMethod:
		lvl = zap.DebugLevel
	}
	if ce := s.log.Check(lvl, "sms request rejected"); ce != nil {
		f := append([]zap.Field{zap.String("endpoint", endpoint), zap.String("reason", rj.reason), zap.Int("status", rj.status)}, fields...)
		if src != "" {
			f = append(f, zap.String("source", src))
		}
		if rj.index >= 0 {
			f = append(f, zap.Int("index", rj.index))
		}
		if rj.phone != "" {
			f = append(f, obs.Phone(rj.phone))
		}
		ce.Write(f...)
	}
	s.writeRejection(w, endpoint, rj)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.m.rejected.WithLabelValues(endpointHealth, reasonMethod).Inc()
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok\n")
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.reject(w, endpointOther, "", rejectf(http.StatusNotFound, reasonNotFound, "no such endpoint"))
}

// readBody reads the request body, refusing more than the configured
// maximum.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *rejection) {
	// MaxBytesReader marks the connection for closing through the server's
	// own ResponseWriter, which statusWriter would hide.
	if sw, ok := w.(*statusWriter); ok {
		w = sw.ResponseWriter
	}
	if r.ContentLength > s.maxBody {
		return nil, rejectf(http.StatusRequestEntityTooLarge, reasonTooLarge, "body too large")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, rejectf(http.StatusRequestEntityTooLarge, reasonTooLarge, "body too large")
		}
		return nil, rejectf(http.StatusBadRequest, reasonMalformed, "could not read body")
	}
	return body, nil
}

// incoming is one SMS as a sender described it, before it is mapped to a
// person.
type incoming struct {
	direction event.Direction
	from, to  string    // as given; "" when absent
	text      string    // the body
	at        time.Time // when it was sent or received; zero when not given
	sourceID  string    // an id unique within the source, or ""
	raw       []byte    // the original, for event.Raw
	rawType   string
}

// resolve maps an incoming SMS to its protected person and builds the
// message to publish. label is the message source; idSpace the first part
// of an id from a source id.
func (s *Server) resolve(in incoming, label, idSpace, device string, now time.Time) (*event.Message, *rejection) {
	self, peer := in.to, in.from
	peerField := "from"
	if in.direction == event.DirectionOut {
		self, peer = in.from, in.to
		peerField = "to"
	}
	if strings.TrimSpace(self) == "" {
		self = device
	}
	if strings.TrimSpace(self) == "" {
		return nil, rejectf(http.StatusBadRequest, reasonNoNumber, "the protected person's number is missing")
	}
	if strings.TrimSpace(peer) == "" {
		return nil, rejectf(http.StatusBadRequest, reasonMissingField, "missing field: "+peerField)
	}
	selfNum, ok := Normalize(self)
	if !ok {
		rj := rejectf(http.StatusNotFound, reasonUnknown, "unknown number")
		rj.phone = strings.TrimSpace(self)
		return nil, rj
	}
	owner, ok := s.dir.Lookup(selfNum)
	if !ok || owner.IsContact() {
		rj := rejectf(http.StatusNotFound, reasonUnknown, "unknown number")
		rj.phone = selfNum
		return nil, rj
	}
	// A forwarder on a phone speaks for that phone only: its credential
	// must not publish into another person's (or household's) stream.
	if device != "" && selfNum != device {
		rj := rejectf(http.StatusNotFound, reasonUnknown, "number not served by this source")
		rj.phone = selfNum
		return nil, rj
	}
	peerAddr := address(peer)
	from, to := peerAddr, selfNum
	if in.direction == event.DirectionOut {
		from, to = selfNum, peerAddr
	}
	received := now
	var when string
	if !in.at.IsZero() {
		received = in.at
		when = in.at.UTC().Format(time.RFC3339Nano)
	}
	var id string
	if in.sourceID != "" {
		id = event.SMSID(idSpace, in.sourceID)
	} else {
		id = event.StableID(event.PrefixSMS, string(in.direction), from, to, when, in.text)
	}
	sum := sha256.Sum256(in.raw)
	return &event.Message{
		ID:         id,
		Channel:    event.ChannelSMS,
		Direction:  in.direction,
		Household:  owner.Household,
		Person:     owner.Person,
		Source:     label,
		ReceivedAt: received.UTC(),
		From:       event.Address{Addr: from},
		To:         []event.Address{{Addr: to}},
		Text:       in.text,
		Raw: &event.Raw{
			Inline: in.raw,
			Size:   int64(len(in.raw)),
			SHA256: hex.EncodeToString(sum[:]),
			Type:   in.rawType,
		},
	}, nil
}

// publishAll publishes msgs in order and returns their ids, or the
// rejection to answer with when one fails: 503 for anything retrying may
// fix (NATS down, a timeout), 500 for a message the bus can never take.
// Messages published before the failure stay published; the sender's
// retry republishes them under the same ids and JetStream drops the
// duplicates.
func (s *Server) publishAll(ctx context.Context, endpoint string, msgs []*event.Message) ([]okMessage, *rejection) {
	out := make([]okMessage, 0, len(msgs))
	for _, m := range msgs {
		_, dup, err := s.pub.PublishMessage(ctx, m)
		if err != nil {
			fields := []zap.Field{zap.String("endpoint", endpoint), obs.MessageID(m.ID), zap.Error(err)}
			if errkind.IsPermanent(err) {
				s.log.Error("sms publish refused", fields...)
				return nil, rejectf(http.StatusInternalServerError, reasonInternal, "message could not be stored")
			}
			s.log.Warn("sms publish failed, sender will retry", fields...)
			return nil, rejectf(http.StatusServiceUnavailable, reasonUnavailable, "message store unavailable, retry later")
		}
		outcome := "new"
		if dup {
			outcome = "duplicate"
		}
		s.m.published.WithLabelValues(endpoint, outcome).Inc()
		if ce := s.log.Check(zap.DebugLevel, "sms published"); ce != nil {
			ce.Write(obs.MessageID(m.ID), obs.Household(m.Household), obs.Person(m.Person),
				zap.String("direction", string(m.Direction)), zap.String("source", m.Source), zap.Bool("duplicate", dup))
		}
		out = append(out, okMessage{ID: m.ID, Duplicate: dup})
	}
	return out, nil
}
