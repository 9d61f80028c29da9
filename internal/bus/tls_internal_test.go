package bus

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTLSConfigBuild(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "nats.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true,
		DNSNames:     []string{"nats.test"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, junk := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "junk.pem")
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	writeFile(t, junk, "not a certificate")

	tc, err := TLSConfig{CAFile: certFile, CertFile: certFile, KeyFile: keyFile, ServerName: "nats.test"}.build()
	if err != nil {
		t.Fatalf("build() = %v", err)
	}
	if tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.ServerName != "nats.test" || tc.InsecureSkipVerify || tc.MinVersion == 0 {
		t.Errorf("build() = %+v, want the CA pool, one client certificate, the server name and a minimum version", tc)
	}
	for _, bad := range []struct {
		name string
		cfg  TLSConfig
		want string
	}{
		{"missing ca", TLSConfig{CAFile: filepath.Join(dir, "none.pem")}, "nats tls ca"},
		{"junk ca", TLSConfig{CAFile: junk}, "no PEM certificate"},
		{"junk key", TLSConfig{CertFile: certFile, KeyFile: junk}, "client certificate"},
	} {
		if _, err := bad.cfg.build(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("build(%s) = %v, want an error containing %q", bad.name, err, bad.want)
		}
	}
}
