package webhook_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/webhook"
)

func secretFile(t testing.TB, value string) config.Secret {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.SecretFromFile(p)
}

var modes = map[notifytest.Behavior]notifytest.WebhookMode{
	notifytest.Accept:          notifytest.WebhookAccept,
	notifytest.RefuseRecipient: notifytest.WebhookReject,
	notifytest.RefuseAuth:      notifytest.WebhookAuthFail,
	notifytest.RateLimit:       notifytest.WebhookRateLimit,
	notifytest.Unavailable:     notifytest.WebhookUnavailable,
	notifytest.Hang:            notifytest.WebhookHang,
}

func TestContract(t *testing.T) {
	for _, perTarget := range []bool{false, true} {
		name := "default secret"
		if perTarget {
			name = "target secret"
		}
		t.Run(name, func(t *testing.T) {
			notifytest.Run(t, func(t *testing.T) *notifytest.Harness {
				sink := notifytest.NewWebhookSink(notifytest.WebhookKey)
				t.Cleanup(sink.Close)
				cfg := notify.DefaultConfig().Webhook
				to := notify.Destination{Name: "family chat", URL: sink.URL()}
				if perTarget {
					cfg.Secret = secretFile(t, "some-other-default-key-0000000000")
					to.Secret = secretFile(t, notifytest.WebhookKey)
				} else {
					cfg.Secret = secretFile(t, notifytest.WebhookKey)
				}
				ch, err := webhook.New(cfg, zaptest.NewLogger(t))
				if err != nil {
					t.Fatal(err)
				}
				return &notifytest.Harness{
					Channel:    ch,
					To:         to,
					Behave:     func(b notifytest.Behavior) { sink.SetMode(modes[b]) },
					Secrets:    []string{notifytest.WebhookKey, sink.URL()},
					RetryAfter: true,
					Sent: func() []notifytest.Sent {
						var out []notifytest.Sent
						for _, r := range sink.Requests() {
							out = append(out, notifytest.Sent{To: sink.URL(), Raw: r.Body, Key: r.Header.Get(webhook.HeaderIdempotencyKey)})
						}
						return out
					},
					CheckWire: func(t *testing.T, d *notify.Delivery, s notifytest.Sent) {
						if n := sink.BadSignatures(); n != 0 {
							t.Errorf("sink saw %d requests with a bad signature", n)
						}
						var slack struct {
							Text string `json:"text"`
						}
						if err := json.Unmarshal(s.Raw, &slack); err != nil || slack.Text != d.Message.Text {
							t.Errorf("payload text = %q (%v), want the alert text (Slack-compatible)", slack.Text, err)
						}
						p := sink.Requests()[0].Payload
						if p.ID != d.Alert.ID || p.Household != "tanaka" || p.Recipient != "kenji" || p.AckURL != d.Message.AckURL {
							t.Errorf("payload = %+v, want the alert's ids and ack url", p)
						}
						if s.Key != d.Alert.ID {
							t.Errorf("Idempotency-Key = %q, want %q", s.Key, d.Alert.ID)
						}
					},
				}
			})
		})
	}
}

func TestVerify(t *testing.T) {
	key := []byte("k")
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"text":"x"}`)
	sig := webhook.Sign(key, ts, body)
	tests := []struct {
		name string
		key  []byte
		ts   string
		sig  string
		body []byte
		now  time.Time
		want error
	}{
		{"good", key, ts, sig, body, now, nil},
		{"other key", []byte("x"), ts, sig, body, now, webhook.ErrBadSignature},
		{"other body", key, ts, sig, []byte(`{"text":"y"}`), now, webhook.ErrBadSignature},
		{"other timestamp", key, "1800000001", sig, body, now, webhook.ErrBadSignature},
		{"bad timestamp", key, "soon", sig, body, now, webhook.ErrBadSignature},
		{"too old", key, ts, sig, body, now.Add(10 * time.Minute), webhook.ErrStale},
	}
	for _, tt := range tests {
		if got := webhook.Verify(tt.key, tt.ts, tt.sig, tt.body, tt.now, 5*time.Minute); got != tt.want {
			t.Errorf("Verify(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestURLSecretAndPlainHTTP(t *testing.T) {
	sink := notifytest.NewWebhookSink(notifytest.WebhookKey)
	defer sink.Close()
	cfg := notify.DefaultConfig().Webhook
	cfg.Secret = secretFile(t, notifytest.WebhookKey)
	ch, err := webhook.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := notifytest.NewDelivery(notify.Destination{URLSecret: secretFile(t, sink.URL())}, notify.ChannelWebhook, 1)
	if _, err := ch.Send(context.Background(), d); err != nil {
		t.Fatalf("Send() to a url_secret target = %v", err)
	}
	d = notifytest.NewDelivery(notify.Destination{URL: "http://hooks.example.jp/x"}, notify.ChannelWebhook, 2)
	_, err = ch.Send(context.Background(), d)
	if se, ok := notify.AsSendError(err); !ok || se.Reason != notify.ReasonConfig {
		t.Errorf("Send() to plain http on a remote host = %v, want a config refusal", err)
	}
}
