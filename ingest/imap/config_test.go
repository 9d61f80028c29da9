package imap_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/internal/config"
)

func problems(err error) []string {
	var ce *config.Error
	if !errors.As(err, &ce) {
		if err != nil {
			return []string{"not a config.Error: " + err.Error()}
		}
		return nil
	}
	var out []string
	for _, p := range ce.Problems {
		out = append(out, p.Path)
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	if err := imap.DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
	if err := (imap.Config{}).Validate(); err != nil {
		t.Errorf("zero Config.Validate() = %v, want defaults to apply", err)
	}
	bad := imap.Config{
		IdleRestart:    config.Duration(30 * 60e9),
		ReconnectMin:   config.Duration(10e9),
		ReconnectMax:   config.Duration(1e9),
		FetchBatch:     5000,
		MaxMessageSize: 1000,
		Backfill:       -1,
		Action:         imap.ActionConfig{Mode: "delete", Flags: []string{"bad flag"}},
	}
	want := []string{"action.flags[0]", "action.mode", "backfill", "fetch_batch", "idle_restart", "max_message_size", "reconnect_max"}
	if diff := cmp.Diff(want, problems(bad.Validate())); diff != "" {
		t.Errorf("Validate() problems (-want +got):\n%s", diff)
	}
}

func TestMailboxValidate(t *testing.T) {
	pw := config.SecretFromEnv("IMAP_PW")
	good := imap.Mailbox{ID: "hanako-mail", Host: "imap.example.jp", Username: "hanako@example.jp", Password: pw}
	for _, c := range []struct {
		name string
		mod  func(*imap.Mailbox)
		want []string
	}{
		{"good", func(*imap.Mailbox) {}, nil},
		{"missing", func(m *imap.Mailbox) { *m = imap.Mailbox{} }, []string{"host", "id", "password", "username"}},
		{"plaintext to a remote host", func(m *imap.Mailbox) { m.TLS = imap.TLSNone; m.AllowPlaintext = true }, []string{"host"}},
		{"plaintext not allowed", func(m *imap.Mailbox) { m.TLS = imap.TLSNone; m.Host = "127.0.0.1" }, []string{"tls"}},
		{"plaintext loopback allowed", func(m *imap.Mailbox) { m.TLS, m.Host, m.AllowPlaintext = imap.TLSNone, "::1", true }, nil},
		{"both secrets", func(m *imap.Mailbox) { m.XOAuth2Token = config.SecretFromFile("/run/token") }, []string{"password"}},
		{"bad tls", func(m *imap.Mailbox) { m.TLS = "ssl" }, []string{"tls"}},
		{"id with dot", func(m *imap.Mailbox) { m.ID = "hanako.mail" }, []string{"id"}},
		{"empty folder", func(m *imap.Mailbox) { m.Inbox = []string{"INBOX", " "} }, []string{"inbox[1]"}},
		{"folder twice", func(m *imap.Mailbox) { m.Inbox, m.Sent = []string{"INBOX"}, []string{"INBOX"} }, []string{"sent"}},
		{"missing ca file", func(m *imap.Mailbox) { m.CAFile = "/nonexistent/ca.pem" }, []string{"ca_file"}},
	} {
		m := good
		c.mod(&m)
		if diff := cmp.Diff(c.want, problems(m.Validate())); diff != "" {
			t.Errorf("%s: Validate() problems (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestValidateAccountsUniqueIDs(t *testing.T) {
	m := imap.Mailbox{ID: "same", Host: "imap.example.jp", Username: "u", Password: config.SecretFromEnv("P")}
	err := imap.ValidateAccounts([]imap.Account{
		{Mailbox: m, Household: "tanaka", Person: "hanako"},
		{Mailbox: m, Household: "tanaka", Person: "taro.x"},
	})
	if got := problems(err); !cmp.Equal(got, []string{"[1].id", "[1].person"}) {
		t.Errorf("ValidateAccounts() problems = %v, want [[1].id [1].person]", got)
	}
	if err != nil && strings.Contains(err.Error(), "imap.example.jp") && strings.Contains(err.Error(), "\"u\"") {
		t.Errorf("error names the username: %v", err)
	}
}
