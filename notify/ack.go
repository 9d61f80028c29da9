package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
)

// AckPath is the path prefix of acknowledgement links.
const AckPath = "/ack/"

// Token layout: the 26 base32 characters of the alert id after "al-", the
// expiry in minutes since the Unix epoch (5 bytes, 8 characters), and 80
// bits of HMAC-SHA256 (16 characters): 50 characters, short enough for an
// SMS.
const (
	tokenIDLen   = 26
	tokenExpLen  = 8
	tokenMACLen  = 16
	tokenLen     = tokenIDLen + tokenExpLen + tokenMACLen
	minAckKeyLen = 16
)

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Token errors. Their texts never contain the token.
var (
	ErrTokenInvalid = errors.New("acknowledgement link is not valid")
	ErrTokenExpired = errors.New("acknowledgement link has expired")
)

// AckSigner makes and checks signed acknowledgement links: an HMAC over the
// alert id and an expiry. It is safe for concurrent use.
type AckSigner struct {
	key  []byte
	base string
}

// NewAckSigner returns a signer for links under baseURL (such as
// "https://scamscreen.example.jp") with key, which must be at least 16
// bytes.
func NewAckSigner(key []byte, baseURL string) (*AckSigner, error) {
	if len(key) < minAckKeyLen {
		return nil, fmt.Errorf("ack key: %d bytes, want at least %d", len(key), minAckKeyLen)
	}
	return &AckSigner{key: append([]byte(nil), key...), base: strings.TrimRight(baseURL, "/")}, nil
}

// NewAckSignerFromConfig resolves cfg.Key and returns a signer; nil (and no
// error) when links are not configured.
func NewAckSignerFromConfig(cfg AckConfig) (*AckSigner, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	key, err := cfg.Key.Resolve()
	if err != nil {
		return nil, fmt.Errorf("ack key: %w", err)
	}
	return NewAckSigner([]byte(key), cfg.PublicURL)
}

func (s *AckSigner) mac(id string, exp uint64) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("scamscreen-ack\x00"))
	m.Write([]byte(id))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], exp)
	m.Write(b[:])
	return m.Sum(nil)[:10]
}

// Token returns the signed token for alertID valid until expires (rounded
// up to the minute).
func (s *AckSigner) Token(alertID string, expires time.Time) (string, error) {
	part, ok := strings.CutPrefix(alertID, event.PrefixAlert+"-")
	if !ok || len(part) != tokenIDLen {
		return "", fmt.Errorf("ack token: %q is not an alert id", alertID)
	}
	exp := uint64((expires.Unix() + 59) / 60)
	var eb [8]byte
	binary.BigEndian.PutUint64(eb[:], exp)
	return part + tokenEncoding.EncodeToString(eb[3:]) + tokenEncoding.EncodeToString(s.mac(alertID, exp)), nil
}

// Link returns the acknowledgement URL for alertID.
func (s *AckSigner) Link(alertID string, expires time.Time) (string, error) {
	tok, err := s.Token(alertID, expires)
	if err != nil {
		return "", err
	}
	return s.base + AckPath + tok, nil
}

// Verify checks a token at now and returns the alert id it names.
func (s *AckSigner) Verify(token string, now time.Time) (string, error) {
	if len(token) != tokenLen {
		return "", ErrTokenInvalid
	}
	part := token[:tokenIDLen]
	for i := 0; i < len(part); i++ {
		c := part[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return "", ErrTokenInvalid
		}
	}
	eb, err := tokenEncoding.DecodeString(token[tokenIDLen : tokenIDLen+tokenExpLen])
	if err != nil || len(eb) != 5 {
		return "", ErrTokenInvalid
	}
	mac, err := tokenEncoding.DecodeString(token[tokenIDLen+tokenExpLen:])
	if err != nil {
		return "", ErrTokenInvalid
	}
	var full [8]byte
	copy(full[3:], eb)
	exp := binary.BigEndian.Uint64(full[:])
	id := event.PrefixAlert + "-" + part
	if subtle.ConstantTimeCompare(mac, s.mac(id, exp)) != 1 {
		return "", ErrTokenInvalid
	}
	if now.Unix() > int64(exp)*60 {
		return "", ErrTokenExpired
	}
	return id, nil
}

// AckPublisher publishes an acknowledgement (an [event.Alert] with status
// acknowledged) on its person's [event.AlertAckSubject].
type AckPublisher interface {
	PublishAck(ctx context.Context, a *event.Alert) error
}

// AlertLookup returns the delivery record of an alert, or [ErrNoRecord].
type AlertLookup interface {
	LookupAlert(ctx context.Context, alertID string) (Record, error)
}

// AckChannel is the Channel of an acknowledgement made through a link.
const AckChannel = "link"

// AckServer answers acknowledgement links: GET /ack/<token> shows a page
// with one button (or acknowledges at once with one_click), POST
// acknowledges. It publishes the acknowledgement for the notify worker,
// which stops the alert's escalation.
type AckServer struct {
	cfg    AckConfig
	signer *AckSigner
	pub    AckPublisher
	lookup AlertLookup
	log    *zap.Logger
	now    func() time.Time

	mu      sync.Mutex
	addr    string
	started chan struct{}
}

// AckServerOption configures an [AckServer].
type AckServerOption func(*AckServer)

// WithAckClock sets the server's clock (tests).
func WithAckClock(now func() time.Time) AckServerOption {
	return func(s *AckServer) { s.now = now }
}

// NewAckServer returns the acknowledgement server for cfg. pub publishes
// acknowledgements; lookup finds which person and contact an alert was
// for.
func NewAckServer(cfg AckConfig, signer *AckSigner, pub AckPublisher, lookup AlertLookup, logger *zap.Logger, opts ...AckServerOption) (*AckServer, error) {
	if signer == nil || pub == nil || lookup == nil {
		return nil, errors.New("ack server: signer, publisher and lookup are required")
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	s := &AckServer{cfg: cfg, signer: signer, pub: pub, lookup: lookup, log: logger.Named("ack"), now: time.Now, started: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Addr returns the listener's address once [AckServer.Run] has started.
func (s *AckServer) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Started is closed when the listener is open.
func (s *AckServer) Started() <-chan struct{} { return s.started }

// Run listens on cfg.Listen and serves until ctx is done, then shuts down
// within five seconds and returns nil.
func (s *AckServer) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("ack listener: %w", err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          zap.NewStdLog(s.log),
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	close(s.started)
	s.log.Info("ack listener started", zap.String("addr", ln.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("ack listener: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ack listener: %w", err)
	}
	return nil
}

// Handler returns the HTTP handler (mounted at /).
func (s *AckServer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(AckPath, s.serveAck)
	return mux
}

func (s *AckServer) serveAck(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("X-Content-Type-Options", "nosniff")

	token := strings.TrimPrefix(r.URL.Path, AckPath)
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		h.Set("Allow", "GET, HEAD, POST")
		s.page(w, r, http.StatusMethodNotAllowed, "", pageInvalid, "")
		return
	}
	now := s.now()
	id, err := s.signer.Verify(token, now)
	if err != nil {
		status, kind := http.StatusNotFound, pageInvalid
		if errors.Is(err, ErrTokenExpired) {
			status, kind = http.StatusGone, pageExpired
		}
		s.page(w, r, status, "", kind, "")
		return
	}
	rec, err := s.lookup.LookupAlert(r.Context(), id)
	if err != nil {
		if errors.Is(err, ErrNoRecord) {
			s.page(w, r, http.StatusNotFound, "", pageInvalid, "")
			return
		}
		s.log.Warn("ack lookup failed", zap.String("alert_id", id), zap.Error(err))
		s.page(w, r, http.StatusServiceUnavailable, "", pageRetry, "")
		return
	}
	lang := rec.Language
	if r.Method == http.MethodHead || r.Method == http.MethodGet && !s.cfg.OneClick {
		s.page(w, r, http.StatusOK, lang, pageConfirm, r.URL.Path)
		return
	}
	ack := &event.Alert{
		V: event.Version, ID: id, VerdictID: rec.VerdictID, Household: rec.Household, Person: rec.Person,
		Recipient: rec.Recipient, RecipientKind: rec.Kind, Channel: AckChannel, Template: rec.Template,
		Language: rec.Language, Urgent: rec.Urgent, Status: event.AlertAcknowledged, At: now.UTC(),
	}
	if err := s.pub.PublishAck(r.Context(), ack); err != nil {
		s.log.Warn("ack not published", zap.String("alert_id", id), zap.Error(err))
		s.page(w, r, http.StatusServiceUnavailable, lang, pageRetry, "")
		return
	}
	s.log.Info("alert acknowledged by link", zap.String("alert_id", id), zap.String("household", rec.Household), zap.String("person", rec.Person), zap.String("recipient", rec.Recipient))
	s.page(w, r, http.StatusOK, lang, pageThanks, "")
}

type pageKind int

const (
	pageInvalid pageKind = iota
	pageExpired
	pageRetry
	pageConfirm
	pageThanks
)

type pageText struct{ Title, Body, Button string }

var pageTexts = map[string]map[pageKind]pageText{
	"ja": {
		pageInvalid: {"リンクが無効です", "このリンクは使えません。お知らせのSMSに返信して確認を伝えてください。", ""},
		pageExpired: {"リンクの期限切れ", "このリンクは期限が切れています。お知らせのSMSに返信して確認を伝えてください。", ""},
		pageRetry:   {"もう一度お試しください", "いま確認を受け付けられませんでした。少し待ってからもう一度開くか、SMSに返信してください。", ""},
		pageConfirm: {"お知らせの確認", "お知らせを確認したら、下のボタンを押してください。ほかのご家族への連絡（エスカレーション）が止まります。", "確認しました"},
		pageThanks:  {"確認しました", "ありがとうございます。確認を受け付けました。まだの場合は、ご本人のいつもの電話番号に電話してください。", ""},
	},
	"en": {
		pageInvalid: {"Link not valid", "This link cannot be used. Please reply to the alert SMS instead.", ""},
		pageExpired: {"Link expired", "This link has expired. Please reply to the alert SMS instead.", ""},
		pageRetry:   {"Please try again", "We could not take your confirmation just now. Please open the link again in a moment, or reply to the SMS.", ""},
		pageConfirm: {"Confirm the alert", "When you have read the alert, press the button below. This stops us from alerting the next person.", "I have seen it"},
		pageThanks:  {"Thank you", "Your confirmation was received. If you have not yet done so, call them on the number you already know.", ""},
	},
}

var pageTemplate = template.Must(template.New("ack").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em;line-height:1.6;font-size:1.15em}button{font-size:1.2em;padding:.6em 1.4em}</style>
</head><body>{{range .Parts}}<h1>{{.Title}}</h1><p>{{.Body}}</p>{{if .Button}}<form method="post" action="{{$.Action}}"><button type="submit">{{.Button}}</button></form>{{end}}{{end}}
</body></html>
`))

// page writes a small HTML page in lang, or in Japanese and English when
// the language is not known.
func (s *AckServer) page(w http.ResponseWriter, r *http.Request, status int, lang string, kind pageKind, action string) {
	langs := []string{"ja", "en"}
	if _, ok := pageTexts[lang]; ok {
		langs = []string{lang}
	}
	data := struct {
		Lang, Title, Action string
		Parts               []pageText
	}{Lang: langs[0], Action: action}
	for _, l := range langs {
		data.Parts = append(data.Parts, pageTexts[l][kind])
	}
	data.Title = data.Parts[0].Title
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if err := pageTemplate.Execute(w, data); err != nil {
		s.log.Debug("ack page not written", zap.Error(err))
	}
}
