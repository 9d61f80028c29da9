package sms_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
)

// TestLogsHoldNoContent drives every path of the listener with a logger
// at debug level and checks that no entry carries a message body or a
// phone number in any form.
func TestLogsHoldNoContent(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	e := newEnv(t, envOpt{logger: zap.New(core)})
	ctx := context.Background()

	// Accepted: every sample, by Twilio and by each forwarder format.
	if _, err := e.client.SendSamples(ctx, hanako, srcPhone); err != nil {
		t.Fatal(err)
	}
	forwarder := *e.client
	forwarder.TwilioAuthToken = "" // incoming samples through the forwarders too
	for _, src := range []smstest.Source{srcGateway, srcTmpl} {
		if sent, err := forwarder.SendSamples(ctx, hanako, src); err != nil || len(sent) < 4 {
			t.Fatalf("SendSamples(%s) = %d, %v", src.Name, len(sent), err)
		}
	}
	// An acknowledgement.
	ack := sampleParams(t, "ordinary")
	ack.Set("From", son)
	ack.Set("To", "+815012340000")
	e.twilio(t, ack)
	// Rejected: unknown numbers, forged, malformed, bus down.
	unknown := sampleParams(t, "unpaid-bill")
	unknown.Set("To", "+819011112222")
	e.twilio(t, unknown)
	e.source(t, srcPhone, []byte(`{"direction":"in","from":"+815031842976","to":"+819011112222","body":"`+secretText+`"}`))
	e.source(t, srcPhone, []byte(`{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"`+secretText))
	req, _ := smstest.NewSourceRequest(ctx, e.ts.URL, srcPhone, []byte(secretText), e.clock.now())
	req.Header.Set("X-Scamscreen-Signature", strings.Repeat("00", 32))
	e.do(t, req)
	e.pub.setErr(errors.New("nats: timeout"))
	e.twilio(t, sampleParams(t, "relative-new-number"))
	e.pub.setErr(nil)
	e.do(t, mustRequest(t, http.MethodGet, e.ts.URL+"/sms/twilio"))

	if logs.Len() == 0 {
		t.Fatal("nothing was logged; the test proves nothing")
	}
	var forbidden []string
	for _, s := range smstest.Samples() {
		forbidden = append(forbidden, s.Body[:24], s.Peer)
	}
	forbidden = append(forbidden, secretText, hanako, hanakoE164, "9012345678", sonE164, son, "8033334444", "9011112222", "815012340000")
	for _, entry := range logs.All() {
		enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		buf, err := enc.EncodeEntry(entry.Entry, entry.Context)
		if err != nil {
			t.Fatal(err)
		}
		line := buf.String()
		buf.Free()
		for _, f := range forbidden {
			if f != "Amazon" && strings.Contains(line, f) {
				t.Errorf("log entry carries %q: %s", f, line)
			}
		}
	}
	t.Logf("%d entries checked", logs.Len())
}
