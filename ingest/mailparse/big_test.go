package mailparse_test

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/mailparse"
)

// bigMail builds a mail with a text part of textBytes and an attachment
// of attachBytes pseudo-random bytes, base64-encoded in 76-column lines.
func bigMail(text string, attachBytes int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	att := make([]byte, attachBytes)
	for i := range att {
		att[i] = byte(rng.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(att)
	var b bytes.Buffer
	b.Grow(len(enc) + len(enc)/38 + len(text) + 1024)
	b.WriteString("From: sender@example.jp\r\nTo: hanako@example.jp\r\nSubject: big\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BIG\r\n\r\n" +
		"--BIG\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(text)
	b.WriteString("\r\n--BIG\r\nContent-Type: application/zip\r\n" +
		"Content-Disposition: attachment; filename=\"photos.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n--BIG--\r\n")
	return b.Bytes()
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestParseLarge parses 25 MB mails: the attachment size must be right,
// the text found, and the memory Parse allocates a small multiple of the
// text, not of the attachment.
func TestParseLarge(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		attach    int
		maxAlloc  uint64
		wantText  string
		wantError string
	}{
		{"small text, 18 MB attachment", "コンビニでギフト券を買ってください。", 18_750_000, 1 << 20, "コンビニでギフト券を買ってください。", ""},
		{"2 MB text, 17 MB attachment", strings.Repeat("ギフト券を買って番号を送ってください。\r\n", 36_000), 17_000_000,
			12 << 20, strings.TrimSpace(strings.ReplaceAll(strings.Repeat("ギフト券を買って番号を送ってください。\r\n", 36_000), "\r\n", "\n")), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := bigMail(tc.text, tc.attach)
			if len(raw) < 24<<20 {
				t.Fatalf("test mail is %d bytes, want about 25 MB", len(raw))
			}
			var msg *event.Message
			var err error
			n := allocated(func() { msg, err = mailparse.Parse(raw) })
			if err != nil {
				t.Fatalf("Parse(25 MB mail) error = %v", err)
			}
			checkMessage(t, tc.name, raw, msg)
			want := []event.Attachment{{Name: "photos.zip", Type: "application/zip", Size: int64(tc.attach)}}
			if d := cmp.Diff(want, msg.Attachments); d != "" {
				t.Errorf("Parse(25 MB mail).Attachments mismatch (-want +got):\n%s", d)
			}
			if msg.Text != tc.wantText {
				t.Errorf("Parse(25 MB mail).Text = %d bytes starting %q, want %d bytes", len(msg.Text), msg.Text[:min(60, len(msg.Text))], len(tc.wantText))
			}
			if msg.ParseError != tc.wantError {
				t.Errorf("Parse(25 MB mail).ParseError = %q, want %q", msg.ParseError, tc.wantError)
			}
			if n > tc.maxAlloc {
				t.Errorf("Parse(25 MB mail) allocated %d bytes, want at most %d (text is %d bytes)", n, tc.maxAlloc, len(tc.text))
			}
		})
	}
}

// TestParseTextCap checks that a hostile amount of text is cut at
// MaxTextBytes and reported.
func TestParseTextCap(t *testing.T) {
	body := strings.Repeat("あ", mailparse.MaxTextBytes) // 3 × the cap in UTF-8 bytes
	raw := []byte("From: a@example.jp\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body)
	msg, err := mailparse.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	checkMessage(t, "text cap", raw, msg)
	if len(msg.Text) > mailparse.MaxTextBytes || len(msg.Text) < mailparse.MaxTextBytes-3 {
		t.Errorf("Parse(12 MB text).Text is %d bytes, want just under %d", len(msg.Text), mailparse.MaxTextBytes)
	}
	if msg.ParseError != "text truncated at 4 MB" {
		t.Errorf("Parse(12 MB text).ParseError = %q, want the truncation noted", msg.ParseError)
	}
}

// TestParseLargeHeader covers header blocks beyond go-message's 1 MB
// limit, and beyond ours.
func TestParseLargeHeader(t *testing.T) {
	filler := func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString("X-Filler: " + strings.Repeat("x", 990) + "\r\n")
		}
		return b.String()
	}
	t.Run("1.5 MB", func(t *testing.T) {
		raw := []byte("From: a@example.jp\r\n" + filler(1_500_000) + "Subject: after the filler\r\n\r\nbody text\r\n")
		msg, err := mailparse.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		checkMessage(t, "1.5 MB header", raw, msg)
		if msg.Subject != "after the filler" || msg.Text != "body text" || msg.ParseError != "" {
			t.Errorf("Parse(1.5 MB header) = Subject %q, Text %q, ParseError %q; want the subject, the body and no error", msg.Subject, msg.Text, msg.ParseError)
		}
	})
	t.Run("9 MB", func(t *testing.T) {
		raw := []byte("From: a@example.jp\r\nSubject: before the filler\r\n" + filler(9_000_000) + "\r\nbody text\r\n")
		msg, err := mailparse.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		checkMessage(t, "9 MB header", raw, msg)
		if msg.Subject != "before the filler" || msg.Text != "body text" || msg.ParseError != "header block too large, rest skipped" {
			t.Errorf("Parse(9 MB header) = Subject %q, Text %q, ParseError %q; want the subject, the body and the size noted", msg.Subject, msg.Text, msg.ParseError)
		}
	})
}

// TestParseDeepNesting bounds recursion.
func TestParseDeepNesting(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.jp\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	const depth = 200
	for i := 1; i <= depth; i++ {
		b.WriteString("--b" + strconv.Itoa(i-1) + "\r\nContent-Type: multipart/mixed; boundary=b" + strconv.Itoa(i) + "\r\n\r\n")
	}
	b.WriteString("--b" + strconv.Itoa(depth) + "\r\nContent-Type: text/plain\r\n\r\ndeepest\r\n")
	raw := []byte(b.String())
	msg, err := mailparse.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	checkMessage(t, "deep", raw, msg)
	if !strings.Contains(msg.ParseError, "nesting too deep, skipped") {
		t.Errorf("Parse(200 nested multiparts).ParseError = %q, want the depth noted", msg.ParseError)
	}
}
