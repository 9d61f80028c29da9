package notifytest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/scamscreen/scamscreen/notify/webhook"
)

// WebhookKey is the signing key the sink verifies with by default.
const WebhookKey = "webhook-test-signing-key-0123456789"

// WebhookMode is how the sink answers.
type WebhookMode int

// Modes.
const (
	WebhookAccept      WebhookMode = iota // 200 with X-Request-Id
	WebhookReject                         // 400
	WebhookAuthFail                       // 403
	WebhookRateLimit                      // 429 with Retry-After: 7
	WebhookUnavailable                    // 503
	WebhookHang                           // no answer until the request is abandoned
)

// WebhookRequest is one request the sink accepted.
type WebhookRequest struct {
	Header  http.Header
	Body    []byte
	Payload webhook.Payload
	At      time.Time
}

// WebhookSink is an HTTP server on 127.0.0.1 that verifies each request's
// HMAC signature (requests that fail are answered 401 and counted in
// BadSignatures) and records the accepted ones. It is safe for concurrent
// use.
type WebhookSink struct {
	srv *httptest.Server
	key []byte

	mu       sync.Mutex
	mode     WebhookMode
	requests []WebhookRequest
	bad      int
	closing  chan struct{}
	closed   bool
}

// NewWebhookSink starts a sink verifying with key.
func NewWebhookSink(key string) *WebhookSink {
	s := &WebhookSink{key: []byte(key), closing: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint.
func (s *WebhookSink) URL() string { return s.srv.URL + "/hook" }

// SetMode sets how the sink answers from now on.
func (s *WebhookSink) SetMode(m WebhookMode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// Requests returns the accepted requests.
func (s *WebhookSink) Requests() []WebhookRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// BadSignatures counts requests whose signature did not verify.
func (s *WebhookSink) BadSignatures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bad
}

// Close stops the sink.
func (s *WebhookSink) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	s.srv.Close()
}

func (s *WebhookSink) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if err := webhook.Verify(s.key, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		s.mu.Lock()
		s.bad++
		s.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	mode := s.mode
	s.mu.Unlock()
	switch mode {
	case WebhookReject:
		http.Error(w, "rejected", http.StatusBadRequest)
		return
	case WebhookAuthFail:
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	case WebhookRateLimit:
		w.Header().Set("Retry-After", "7")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	case WebhookUnavailable:
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	case WebhookHang:
		s.hang(r.Context())
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "not json", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, WebhookRequest{Header: r.Header.Clone(), Body: body, Payload: p, At: time.Now()})
	n := len(s.requests)
	s.mu.Unlock()
	w.Header().Set("X-Request-Id", "sink-"+strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}

func (s *WebhookSink) hang(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.closing:
	}
}
