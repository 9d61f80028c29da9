package sms_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
)

// TestMain fails the run if a test leaves a goroutine behind: listeners,
// connections and buses must all be stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// running starts srv.Run and returns a stop function that cancels it and
// returns Run's result.
func running(t *testing.T, srv *sms.Server) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Started():
	case err := <-done:
		cancel()
		t.Fatalf("Run() = %v before starting", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("Run() did not start within 10s")
	}
	var stopped bool
	var result error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func newServer(t *testing.T, cfg sms.Config, pub *fakePub) *sms.Server {
	t.Helper()
	srv, err := sms.New(cfg, directory(t), pub, sms.Options{Acks: &fakeAcks{}})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestRun(t *testing.T) {
	cfg := testConfig(t)
	cfg.Listen = "127.0.0.1:0"
	pub := &fakePub{}
	srv := newServer(t, cfg, pub)
	if srv.Addr() != nil {
		t.Errorf("Addr() before Run = %v, want nil", srv.Addr())
	}
	stop := running(t, srv)
	base := "http://" + srv.Addr().String()
	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	c := &smstest.Client{BaseURL: base, PublicURL: publicURL, TwilioAuthToken: authToken, HTTPClient: hc}
	r, err := c.PostTwilio(context.Background(), sampleParams(t, "ordinary"))
	if err != nil || r.Status != 200 {
		t.Fatalf("PostTwilio() = %v, %v; want 200", r, err)
	}
	if err := srv.Run(context.Background()); err == nil {
		t.Error("a second Run() succeeded")
	}
	if err := stop(); err != nil {
		t.Errorf("Run() after cancel = %v, want nil", err)
	}
	if _, err := hc.Get(base + "/healthz"); err == nil {
		t.Error("the listener still answers after Run returned")
	}
}

func TestRunListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t)
	cfg.Listen = ln.Addr().String()
	if err := newServer(t, cfg, &fakePub{}).Run(context.Background()); err == nil {
		t.Error("Run() on a port in use succeeded")
	}
}

// blockingPub holds every publish until released.
type blockingPub struct {
	fakePub
	entered chan struct{}
	release chan struct{}
}

func (p *blockingPub) PublishMessage(ctx context.Context, m *event.Message) (uint64, bool, error) {
	p.entered <- struct{}{}
	<-p.release
	return p.fakePub.PublishMessage(ctx, m)
}

// TestRunDrains: a request in flight when Run is cancelled still gets its
// answer.
func TestRunDrains(t *testing.T) {
	cfg := testConfig(t)
	cfg.Listen = "127.0.0.1:0"
	pub := &blockingPub{entered: make(chan struct{}), release: make(chan struct{})}
	srv, err := sms.New(cfg, directory(t), pub, sms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, srv)
	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	c := &smstest.Client{BaseURL: "http://" + srv.Addr().String(), PublicURL: publicURL, TwilioAuthToken: authToken, HTTPClient: hc}
	answer := make(chan int, 1)
	go func() {
		r, err := c.PostTwilio(context.Background(), sampleParams(t, "ordinary"))
		if err != nil {
			answer <- -1
			return
		}
		answer <- r.Status
	}()
	<-pub.entered
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// Wait until shutdown has closed the listener, then let the request
	// finish: it must still be answered.
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections 10s after cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(pub.release)
	if got := <-answer; got != 200 {
		t.Errorf("in-flight request answered %d, want 200", got)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
}

func TestRunTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, pool := selfSigned(t)
	cfg := testConfig(t)
	cfg.Listen = "127.0.0.1:0"
	cfg.TLS = sms.TLSConfig{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	if err := os.WriteFile(cfg.TLS.CertFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.TLS.KeyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, cfg, &fakePub{})
	running(t, srv)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	c := &smstest.Client{BaseURL: "https://" + srv.Addr().String(), PublicURL: publicURL, TwilioAuthToken: authToken, HTTPClient: hc}
	r, err := c.PostTwilio(context.Background(), sampleParams(t, "ordinary"))
	if err != nil || r.Status != 200 {
		t.Fatalf("PostTwilio() over TLS = %v, %v; want 200", r, err)
	}
	plain := &http.Client{Timeout: 10 * time.Second}
	defer plain.CloseIdleConnections()
	if resp, err := plain.Get("http://" + srv.Addr().String() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on the TLS listener")
		}
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sms.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), pool
}
