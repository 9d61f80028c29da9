package bus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Bus is a connection to NATS JetStream, and the embedded server when there
// is no external one. It is safe for concurrent use. Create it with [Open]
// and release it with [Bus.Close].
type Bus struct {
	cfg  Config
	log  *zap.Logger
	opts options

	nc   *nats.Conn
	js   jetstream.JetStream
	srv  *server.Server // nil when external
	lock *storeLock     // nil when external

	connClosed     chan struct{}
	connClosedOnce sync.Once

	rawMu sync.Mutex
	raw   jetstream.ObjectStore

	closing   chan struct{} // closed when Close starts; consume loops stop
	loopsMu   sync.Mutex    // guards adding to loops after closing
	loops     sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open connects to the configured NATS (or starts the embedded server),
// then creates or updates the scamscreen streams ([Bus.EnsureStreams]).
//
// Embedded mode takes an exclusive lock on the store directory for the
// lifetime of the Bus: a second Open on the same directory, in this process
// or another, fails with [ErrStoreLocked]. The embedded server installs no
// signal handlers, opens no TCP port unless embedded.listen is set, and logs
// through logger.
//
// ctx bounds the start; when it has no deadline, ConnectTimeout (plus the
// time JetStream needs to recover a large store) applies.
func Open(ctx context.Context, cfg Config, logger *zap.Logger, opts ...Option) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("nats config: %w", err)
	}
	cfg.defaults()
	if logger == nil {
		logger = zap.NewNop()
	}
	b := &Bus{
		cfg:        cfg,
		log:        logger,
		opts:       options{observer: NopObserver{}},
		connClosed: make(chan struct{}),
		closing:    make(chan struct{}),
	}
	for _, o := range opts {
		o(&b.opts)
	}

	var err error
	if cfg.IsEmbedded() {
		err = b.startEmbedded(ctx)
	} else {
		err = b.connectExternal()
	}
	if err != nil {
		b.shutdown(context.Background())
		return nil, err
	}
	b.js, err = jetstream.New(b.nc, jetstream.WithPublishAsyncTimeout(cfg.RequestTimeout))
	if err != nil {
		b.shutdown(context.Background())
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if _, err := b.EnsureStreams(ctx); err != nil {
		b.shutdown(context.Background())
		return nil, err
	}
	return b, nil
}

// connOptions are the options common to both modes.
func (b *Bus) connOptions() ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name(b.cfg.Name),
		nats.Timeout(b.cfg.ConnectTimeout),
		nats.DrainTimeout(b.cfg.DrainTimeout),
		nats.ClosedHandler(func(*nats.Conn) {
			b.connClosedOnce.Do(func() { close(b.connClosed) })
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			b.log.Warn("nats asynchronous error", zap.Error(err))
		}),
	}
	if b.cfg.User != "" {
		pw, err := readSecret("nats password", b.cfg.Password)
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserInfo(b.cfg.User, pw))
	}
	if b.cfg.Token.IsSet() {
		tok, err := readSecret("nats token", b.cfg.Token)
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.Token(tok))
	}
	return opts, nil
}

func (b *Bus) startEmbedded(ctx context.Context) error {
	ec := b.cfg.Embedded
	lock, err := lockStoreDir(ec.StoreDir)
	if err != nil {
		return err
	}
	b.lock = lock

	sopts := &server.Options{
		ServerName:             ec.ServerName,
		JetStream:              true,
		StoreDir:               ec.StoreDir,
		JetStreamMaxMemory:     ec.MaxMemory,
		JetStreamMaxStore:      ec.MaxStore,
		SyncAlways:             ec.SyncAlways,
		NoSigs:                 true,
		DisableJetStreamBanner: true,
		DontListen:             ec.Listen == "",
	}
	if ec.Listen != "" {
		host, port, _ := net.SplitHostPort(ec.Listen) // checked by Validate
		p, _ := strconv.Atoi(port)
		if p == 0 {
			p = server.RANDOM_PORT
		}
		sopts.Host, sopts.Port = host, p
	}
	if b.cfg.User != "" {
		pw, err := readSecret("nats password", b.cfg.Password)
		if err != nil {
			return err
		}
		sopts.Username, sopts.Password = b.cfg.User, pw
	}
	if b.cfg.Token.IsSet() {
		tok, err := readSecret("nats token", b.cfg.Token)
		if err != nil {
			return err
		}
		sopts.Authorization = tok
	}

	srv, err := server.NewServer(sopts)
	if err != nil {
		return fmt.Errorf("embedded server: %w", err)
	}
	slog := newServerLogger(b.log.Named("nats-server"))
	srv.SetLoggerV2(slog, false, false, false)
	b.srv = srv
	go srv.Start()

	wait := b.cfg.ConnectTimeout + 25*time.Second // recovering a large store takes a while
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	// Poll in short slices: a Fatalf (a port in use) means it never gets
	// ready, and there is no point waiting out the whole timeout.
	deadline := time.Now().Add(wait)
	for !srv.ReadyForConnections(50 * time.Millisecond) {
		if f := slog.lastFatal(); f != "" {
			return fmt.Errorf("embedded server did not start: %s", f)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("embedded server start: %w", ctx.Err())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("embedded server not ready for connections after %s", wait.Round(time.Millisecond))
		}
	}
	if !srv.JetStreamEnabled() {
		return errors.New("embedded server started without JetStream (see the nats-server log)")
	}

	opts, err := b.connOptions()
	if err != nil {
		return err
	}
	// An in-process connection is tied to this server; it never needs to
	// reconnect, and its "URL" is meaningless, so nothing logs it.
	opts = append(opts, nats.InProcessServer(srv))
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return fmt.Errorf("connect to embedded server: %w", err)
	}
	b.nc = nc
	b.log.Info("embedded nats server started",
		zap.String("server_name", ec.ServerName),
		zap.String("store_dir", ec.StoreDir),
		zap.String("listen", b.ClientURL()),
		zap.Bool("sync_always", ec.SyncAlways))
	return nil
}

// Keep-alive of external connections: a ping every PingInterval, and the
// connection is declared dead (and a reconnect to another node begins)
// when MaxPingsOutstanding of them go unanswered, so a node that vanished
// without closing the TCP connection (power loss, a partition, a NAT
// dropping state) is noticed within about 30 seconds instead of the
// client default of 4-6 minutes, during which publishes and pulls stall.
const (
	PingInterval        = 10 * time.Second
	MaxPingsOutstanding = 3
)

func (b *Bus) connectExternal() error {
	opts, err := b.connOptions()
	if err != nil {
		return err
	}
	opts = append(opts,
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.ReconnectJitter(500*time.Millisecond, 2*time.Second),
		nats.PingInterval(PingInterval),
		nats.MaxPingsOutstanding(MaxPingsOutstanding),
		// No reconnect buffer: a publish made while disconnected fails
		// at once (nats.ErrReconnectBufExceeded, which the publish retry
		// loop retries) instead of being sent after the reconnect, when
		// its caller may have given up and told its sender to try again
		// (an SMS webhook answered 503), which would store it twice.
		// Acks and naks lost this way lead to a redelivery.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			select {
			case <-b.closing:
				return // our own Close
			default:
			}
			if nc.IsClosed() || nc.IsDraining() {
				return
			}
			b.log.Warn("nats disconnected, reconnecting", zap.Error(err))
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("nats reconnected", zap.String("server", nc.ConnectedServerName()), zap.String("url", redactURL(nc.ConnectedUrl())))
		}),
		nats.LameDuckModeHandler(func(nc *nats.Conn) {
			b.log.Info("nats server entering lame duck mode", zap.String("server", nc.ConnectedServerName()))
		}),
	)
	if b.cfg.NKeySeedFile != "" {
		o, err := nats.NkeyOptionFromSeed(b.cfg.NKeySeedFile)
		if err != nil {
			return fmt.Errorf("nats nkey seed: %w", err)
		}
		opts = append(opts, o)
	}
	if b.cfg.CredsFile != "" {
		if _, err := os.Stat(b.cfg.CredsFile); err != nil {
			return fmt.Errorf("nats creds: %w", err)
		}
		opts = append(opts, nats.UserCredentials(b.cfg.CredsFile))
	}
	if b.cfg.TLS.enabled() {
		tc, err := b.cfg.TLS.build()
		if err != nil {
			return err
		}
		opts = append(opts, nats.Secure(tc))
	}
	nc, err := nats.Connect(strings.Join(b.cfg.URL, ","), opts...)
	if err != nil {
		return fmt.Errorf("connect to nats %s: %w", redactURLs(b.cfg.URL), err)
	}
	b.nc = nc
	b.log.Info("nats connected", zap.String("server", nc.ConnectedServerName()), zap.String("url", redactURL(nc.ConnectedUrl())))
	return nil
}

func (t TLSConfig) build() (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, // only for loopback URLs, see Validate
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("nats tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("nats tls ca: no PEM certificate in %s", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("nats tls client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// redactURL drops any user information from a server URL, so a token or
// password never reaches a log line.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable url>"
	}
	u.User = nil
	return u.String()
}

func redactURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = redactURL(u)
	}
	return strings.Join(out, ",")
}

// Conn returns the underlying NATS connection, for tests and operator
// tools. Stages publish and consume through the Bus methods, which own
// message ids and acknowledgements.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// ClientURL returns the URL other processes use to reach the embedded
// server's listener, or "" when there is none (external mode, or no
// embedded.listen).
func (b *Bus) ClientURL() string {
	if b.srv == nil || b.cfg.Embedded.Listen == "" {
		return ""
	}
	addr, ok := b.srv.Addr().(*net.TCPAddr)
	if !ok {
		return ""
	}
	return "nats://" + addr.String()
}

// Ready reports whether the bus can do work: the connection is up and
// JetStream answers. It is meant for a readiness probe.
func (b *Bus) Ready(ctx context.Context) error {
	if st := b.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("nats connection is %s", strings.ToLower(st.String()))
	}
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	return nil
}

// Close shuts the bus down in order: consume loops stop taking messages and
// finish their in-flight handlers, outstanding asynchronous publishes are
// awaited, the connection is drained, the embedded server is shut down and
// waited for, and the store lock is released. ctx bounds the waiting; when
// it expires the remaining steps are forced. Close is idempotent and
// returns the first call's result.
func (b *Bus) Close(ctx context.Context) error {
	b.closeOnce.Do(func() { b.closeErr = b.shutdown(ctx) })
	return b.closeErr
}

func (b *Bus) shutdown(ctx context.Context) error {
	var errs []error
	b.loopsMu.Lock()
	select {
	case <-b.closing:
	default:
		close(b.closing)
	}
	b.loopsMu.Unlock()

	loopsDone := make(chan struct{})
	go func() { b.loops.Wait(); close(loopsDone) }()
	select {
	case <-loopsDone:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("consume loops still running: %w", ctx.Err()))
	}

	if b.js != nil {
		select {
		case <-b.js.PublishAsyncComplete():
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("%d asynchronous publishes unacknowledged: %w", b.js.PublishAsyncPending(), ctx.Err()))
		}
	}

	if b.nc != nil {
		if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("drain nats connection: %w", err))
			b.nc.Close()
		}
		select {
		case <-b.connClosed:
		case <-ctx.Done():
			b.nc.Close()
			<-b.connClosed
		}
	}

	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
		b.log.Info("embedded nats server stopped")
	}
	if b.lock != nil {
		if err := b.lock.release(); err != nil {
			errs = append(errs, fmt.Errorf("release store lock: %w", err))
		}
	}
	return errors.Join(errs...)
}

// startLoop registers a consume loop with Close; it fails once Close has
// begun.
func (b *Bus) startLoop() error {
	b.loopsMu.Lock()
	defer b.loopsMu.Unlock()
	select {
	case <-b.closing:
		return ErrClosed
	default:
	}
	b.loops.Add(1)
	return nil
}

// ErrClosed reports the use of a Bus after Close.
var ErrClosed = errors.New("bus closed")
