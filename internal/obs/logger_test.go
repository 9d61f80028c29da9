package obs_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scamscreen/scamscreen/internal/obs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Personal data the tests log; none of it may appear in output.
const (
	phone = "+819012345678"
	addr  = "hanako.tanaka@example.jp"
	body  = "至急ギフト券を購入してコードを送ってください"
	subj  = "アカウントがロックされました"
)

var hashKey = []byte("test-hash-key")

// buffer is a WriteSyncer that tests can read.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) Sync() error { return nil }

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// lines decodes the JSON lines written so far.
func (b *buffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func keyedHash(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)[:4])
}

func newJSONLogger(t *testing.T, opts ...zap.Option) (*zap.Logger, *buffer) {
	t.Helper()
	var buf buffer
	logger, _, err := obs.NewLoggerWithOptions(obs.LogConfig{Level: "debug", Format: "json", HashKey: hashKey}, &buf, opts...)
	if err != nil {
		t.Fatalf("NewLogger() = %v", err)
	}
	return logger, &buf
}

func TestLoggerNeverLeaksPersonalData(t *testing.T) {
	logger, buf := newJSONLogger(t)

	logger.Info("message screened",
		obs.MessageID("m-7f3a"),
		obs.Household("h1"),
		obs.Person("p1"),
		obs.Phone(phone),
		obs.Addr(addr),
		obs.Text(body),
		zap.String("body", body),
		zap.String("Phone", phone),
		zap.String("SUBJECT", subj),
		zap.Strings("to", []string{addr}),
		zap.Stringer("from", stringer(addr)),
		zap.Any("reply_to", addr),
		zap.Dict("headers", zap.String("from", addr), zap.Dict("inner", zap.String("email", addr)), zap.Int("count", 2)),
		zap.Objects("recipients", []zapcore.ObjectMarshaler{recipient{addr}}),
		zap.Object("sms", zapcore.ObjectMarshalerFunc(func(enc zapcore.ObjectEncoder) error {
			enc.AddString("number", phone)
			return enc.AddObject("phone", phonePII(phone))
		})),
	)
	logger.With(zap.String("email", addr), obs.Phone(phone), obs.MessageID("m-with")).
		Warn("delivery failed, will retry", zap.String("name", "Hanako Tanaka"))

	out := buf.String()
	for _, leak := range []string{phone, addr, body, subj, "Hanako", "9012345678"} {
		if strings.Contains(out, leak) {
			t.Errorf("log output contains %q:\n%s", leak, out)
		}
	}
	lines := buf.lines(t)
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want 2:\n%s", len(lines), out)
	}
	first, second := lines[0], lines[1]

	wantIDs := map[string]any{"message_id": "m-7f3a", "household": "h1", "person": "p1"}
	for k, v := range wantIDs {
		if first[k] != v {
			t.Errorf("line 1 %s = %v, want %v", k, first[k], v)
		}
	}
	wantPhone := map[string]any{"hash": keyedHash(hashKey, phone), "len": float64(13)}
	if diff := cmp.Diff(wantPhone, first["phone"]); diff != "" {
		t.Errorf("line 1 phone mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"hash": keyedHash(hashKey, body), "len": float64(len([]rune(body)))}, first["text"]); diff != "" {
		t.Errorf("line 1 text mismatch (-want +got):\n%s", diff)
	}
	if got := first["addr"].(map[string]any)["hash"]; got != keyedHash(hashKey, addr) {
		t.Errorf("line 1 addr hash = %v, want %v", got, keyedHash(hashKey, addr))
	}
	for _, k := range []string{"body", "Phone", "SUBJECT", "to", "from", "reply_to"} {
		if first[k] != obs.Redacted {
			t.Errorf("line 1 %s = %v, want %s", k, first[k], obs.Redacted)
		}
	}
	wantHeaders := map[string]any{"from": obs.Redacted, "inner": map[string]any{"email": obs.Redacted}, "count": float64(2)}
	if diff := cmp.Diff(wantHeaders, first["headers"]); diff != "" {
		t.Errorf("line 1 headers mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{map[string]any{"email": obs.Redacted}}, first["recipients"]); diff != "" {
		t.Errorf("line 1 recipients mismatch (-want +got):\n%s", diff)
	}
	wantSMS := map[string]any{"number": obs.Redacted, "phone": wantPhone}
	if diff := cmp.Diff(wantSMS, first["sms"]); diff != "" {
		t.Errorf("line 1 sms mismatch (-want +got):\n%s", diff)
	}

	// Fields added with With are redacted too, and the same number gives the
	// same hash, so the two lines correlate.
	if second["email"] != obs.Redacted || second["name"] != obs.Redacted {
		t.Errorf("line 2 email, name = %v, %v, want both redacted", second["email"], second["name"])
	}
	if diff := cmp.Diff(wantPhone, second["phone"]); diff != "" {
		t.Errorf("line 2 phone mismatch (-want +got):\n%s", diff)
	}
	if second["message_id"] != "m-with" {
		t.Errorf("line 2 message_id = %v, want m-with", second["message_id"])
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

type recipient struct{ email string }

func (r recipient) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("email", r.email)
	return nil
}

// phonePII gets at the ObjectMarshaler inside obs.Phone's field, as code
// that nests it in its own object would.
func phonePII(s string) zapcore.ObjectMarshaler {
	return obs.Phone(s).Interface.(zapcore.ObjectMarshaler)
}

func TestHashKeyDecidesHash(t *testing.T) {
	var a, b buffer
	la, _, err := obs.NewLogger(obs.LogConfig{Format: "json", HashKey: []byte("k1")}, &a)
	if err != nil {
		t.Fatal(err)
	}
	lb, _, err := obs.NewLogger(obs.LogConfig{Format: "json", HashKey: []byte("k2")}, &b)
	if err != nil {
		t.Fatal(err)
	}
	lr, _, err := obs.NewLogger(obs.LogConfig{Format: "json"}, &b) // random key
	if err != nil {
		t.Fatal(err)
	}
	la.Info("x", obs.Phone(phone))
	lb.Info("x", obs.Phone(phone))
	lr.Info("x", obs.Phone(phone))
	ha := a.lines(t)[0]["phone"].(map[string]any)["hash"]
	lines := b.lines(t)
	hb := lines[0]["phone"].(map[string]any)["hash"]
	hr := lines[1]["phone"].(map[string]any)["hash"]
	if ha != keyedHash([]byte("k1"), phone) || hb != keyedHash([]byte("k2"), phone) {
		t.Errorf("hashes = %v, %v, want HMAC-SHA-256 prefixes under k1 and k2", ha, hb)
	}
	if hr == ha || hr == hb || len(hr.(string)) != 8 {
		t.Errorf("random-key hash = %v, want 8 hex chars unlike the keyed ones", hr)
	}
}

func TestPIIWithoutRedactingCoreWritesLengthOnly(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	zap.New(core).Info("x", obs.Phone(phone), obs.Text(body))
	got := logs.All()[0].ContextMap()
	want := map[string]any{
		"phone": map[string]any{"len": 13},
		"text":  map[string]any{"len": len([]rune(body))},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ContextMap() mismatch (-want +got):\n%s", diff)
	}
}

func TestRedactingCoreWithObserver(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	logger := zap.New(obs.NewRedactingCore(core, hashKey))
	logger.Debug("dropped by level", zap.String("body", body))
	logger.Info("kept", obs.MessageID("m1"), zap.String("body", body), zap.Int("deliveries", 3))

	if logs.Len() != 1 {
		t.Fatalf("observed %d entries, want 1 (debug is below the inner core's level)", logs.Len())
	}
	got := logs.All()[0].ContextMap()
	want := map[string]any{"message_id": "m1", "body": obs.Redacted, "deliveries": int64(3)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ContextMap() mismatch (-want +got):\n%s", diff)
	}
}

// fixedClock makes every entry fall into one sampling tick.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                         { return c.t }
func (c fixedClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

// TestSamplingStillDrops proves the redacting core sits correctly under the
// sampler: of 250 identical entries in one second, 100 + every 100th are
// written, and none leaks the body.
func TestSamplingStillDrops(t *testing.T) {
	logger, buf := newJSONLogger(t, zap.WithClock(fixedClock{time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}))
	for i := range 250 {
		logger.Info("message screened", obs.MessageID("m"), zap.Int("i", i), zap.String("body", body))
	}
	lines := buf.lines(t)
	if len(lines) != 101 {
		t.Errorf("wrote %d of 250 identical entries, want 101 (sampling bypassed?)", len(lines))
	}
	if strings.Contains(buf.String(), body) {
		t.Errorf("sampled output leaks the body")
	}
	// Another message has its own budget.
	logger.Info("other message")
	if got := len(buf.lines(t)); got != 102 {
		t.Errorf("after a different message, %d lines, want 102", got)
	}
}

// TestRedactingCoreLetsSamplerDecide wraps the sampler the "wrong" way
// round, the arrangement that bypassed sampling in DEPENDENCIES.md §7, and
// shows the core's Check still defers to it.
func TestRedactingCoreLetsSamplerDecide(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	sampled := zapcore.NewSamplerWithOptions(core, time.Hour, 10, 0)
	logger := zap.New(obs.NewRedactingCore(sampled, hashKey))
	for range 50 {
		logger.Info("same", zap.String("body", body))
	}
	if logs.Len() != 10 {
		t.Errorf("observed %d entries, want 10 (first 10, then none)", logs.Len())
	}
	for _, e := range logs.All() {
		if e.ContextMap()["body"] != obs.Redacted {
			t.Fatalf("entry body = %v, want redacted", e.ContextMap()["body"])
		}
	}
}

func TestLoggerLevels(t *testing.T) {
	var buf buffer
	logger, level, err := obs.NewLogger(obs.LogConfig{Level: "warn", Format: "json"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("hidden")
	logger.Warn("shown")
	level.SetLevel(zapcore.DebugLevel)
	logger.Debug("now shown")
	var msgs []string
	for _, l := range buf.lines(t) {
		msgs = append(msgs, l["msg"].(string))
		if _, err := time.Parse("2006-01-02T15:04:05.000Z0700", l["ts"].(string)); err != nil {
			t.Errorf("ts %q is not ISO8601: %v", l["ts"], err)
		}
	}
	if diff := cmp.Diff([]string{"shown", "now shown"}, msgs); diff != "" {
		t.Errorf("messages mismatch (-want +got):\n%s", diff)
	}
}

func TestLoggerFormats(t *testing.T) {
	tests := []struct {
		format   string
		wantJSON bool
	}{
		{"json", true},
		{"console", false},
		{"auto", true}, // not a terminal
		{"", true},
	}
	for _, tt := range tests {
		var buf buffer
		logger, _, err := obs.NewLogger(obs.LogConfig{Format: tt.format}, &buf)
		if err != nil {
			t.Fatalf("NewLogger(format %q) = %v", tt.format, err)
		}
		logger.Info("hello", zap.String("body", body))
		out := buf.String()
		if got := strings.HasPrefix(out, "{"); got != tt.wantJSON {
			t.Errorf("NewLogger(format %q) wrote %q, JSON = %v, want %v", tt.format, out, got, tt.wantJSON)
		}
		if strings.Contains(out, body) {
			t.Errorf("NewLogger(format %q) leaked the body: %q", tt.format, out)
		}
	}
}

func TestLoggerAutoOnFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logger, _, err := obs.NewLogger(obs.LogConfig{Format: "auto"}, f)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("to a file")
	b, _ := os.ReadFile(f.Name())
	if !bytes.HasPrefix(b, []byte("{")) {
		t.Errorf("auto format on a regular file wrote %q, want JSON", b)
	}
	if obs.IsTerminal(f) {
		t.Errorf("IsTerminal(regular file) = true")
	}
}

func TestLogConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  obs.LogConfig
		want string
	}{
		{obs.LogConfig{}, ""},
		{obs.LogConfig{Level: "debug", Format: "console"}, ""},
		{obs.LogConfig{Level: "ERROR", Format: "auto"}, ""},
		{obs.LogConfig{Level: "verbose"}, `level "verbose": want debug, info, warn or error`},
		{obs.LogConfig{Level: "fatal"}, `level "fatal": want debug, info, warn or error`},
		{obs.LogConfig{Format: "xml"}, `format "xml": want json, console or auto`},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%+v.Validate() = %q, want %q", tt.cfg, got, tt.want)
		}
		if _, _, err := obs.NewLogger(tt.cfg, &buffer{}); (err != nil) != (tt.want != "") {
			t.Errorf("NewLogger(%+v) error = %v, want error %v", tt.cfg, err, tt.want != "")
		}
	}
}

func TestFieldHelpers(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	zap.New(core).Info("x",
		obs.MessageID("m"), obs.VerdictID("v"), obs.Household("h"), obs.Person("p"),
		obs.Stage("screen"), obs.Stream("INBOUND"), obs.Consumer("screen"), obs.Seq(42), obs.Deliveries(3),
		obs.Channel(channel("sms")), obs.Rules([]string{"ja.gift.buy"}), obs.Verdict(stringer("scam")),
		zap.Error(errors.New("boom")),
	)
	want := map[string]any{
		"message_id": "m", "verdict_id": "v", "household": "h", "person": "p",
		"stage": "screen", "stream": "INBOUND", "consumer": "screen", "seq": uint64(42), "deliveries": uint64(3),
		"channel": "sms", "rules": []any{"ja.gift.buy"}, "verdict": "scam", "error": "boom",
	}
	if diff := cmp.Diff(want, logs.All()[0].ContextMap()); diff != "" {
		t.Errorf("ContextMap() mismatch (-want +got):\n%s", diff)
	}
	for k := range want {
		if obs.IsPersonalKey(k) {
			t.Errorf("helper key %q is redacted", k)
		}
	}
}

// channel stands for event.Channel: a named string type.
type channel string

func TestIsPersonalKey(t *testing.T) {
	for _, k := range []string{"body", "BODY", "Text", "subject", "from", "to", "reply_to", "phone", "number", "email", "address", "addr", "name"} {
		if !obs.IsPersonalKey(k) {
			t.Errorf("IsPersonalKey(%q) = false, want true", k)
		}
	}
	for _, k := range []string{"message_id", "household", "person", "channel", "body_len", "tone", "error", ""} {
		if obs.IsPersonalKey(k) {
			t.Errorf("IsPersonalKey(%q) = true, want false", k)
		}
	}
}

// tickingClock advances a second per entry, so the sampler never drops and
// the benchmark measures the full write path.
type tickingClock struct{ t time.Time }

func (c *tickingClock) Now() time.Time {
	c.t = c.t.Add(time.Second)
	return c.t
}
func (c *tickingClock) NewTicker(d time.Duration) *time.Ticker { return time.NewTicker(d) }

func BenchmarkLogRedacted(b *testing.B) {
	for _, bc := range []struct {
		name   string
		fields []zap.Field
	}{
		{"ids", []zap.Field{obs.MessageID("m-7f3a"), obs.Stage("screen"), obs.Seq(42)}},
		{"pii", []zap.Field{obs.MessageID("m-7f3a"), obs.Phone(phone), obs.Text(body)}},
		{"denied", []zap.Field{obs.MessageID("m-7f3a"), zap.String("body", body)}},
		{"dict", []zap.Field{obs.MessageID("m-7f3a"), zap.Dict("ctx", zap.String("from", addr), zap.Int("n", 1))}},
	} {
		b.Run("baseline/"+bc.name, func(b *testing.B) {
			// The same pipeline without the redacting core, for comparison.
			enc := zap.NewProductionEncoderConfig()
			enc.EncodeTime = zapcore.ISO8601TimeEncoder
			core := zapcore.NewSamplerWithOptions(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(discard{}), zapcore.InfoLevel), time.Second, 100, 100)
			clock := &tickingClock{t: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
			logger := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel), zap.WithClock(clock))
			b.ReportAllocs()
			for b.Loop() {
				logger.Info("message screened", bc.fields...)
			}
		})
		b.Run(bc.name, func(b *testing.B) {
			clock := &tickingClock{t: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
			logger, _, err := obs.NewLoggerWithOptions(obs.LogConfig{Format: "json", HashKey: hashKey}, zapcore.AddSync(discard{}), zap.WithClock(clock))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				logger.Info("message screened", bc.fields...)
			}
		})
	}
}

func BenchmarkLogDisabledDebug(b *testing.B) {
	logger, _, err := obs.NewLogger(obs.LogConfig{Format: "json"}, zapcore.AddSync(discard{}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ce := logger.Check(zapcore.DebugLevel, "message screened"); ce != nil {
			ce.Write(obs.MessageID("m"))
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
