package imap_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	imapclient "github.com/emersion/go-imap/v2/imapclient"

	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

// The benchmarks measure what the closing note reports:
//
//	go test ./ingest/imap -run '^$' -bench IdleLatency -benchtime 200x
//	eval "$(bash ingest/imap/testdata/dovecot/start.sh)"
//	go test ./ingest/imap -run '^$' -bench 'IdleLatency/dovecot|Backfill' -benchtime 200x
//
// IdleLatency: one mail per iteration, from the start of its delivery to
// the server (a backend append on the memory server, an APPEND from a
// second connection on Dovecot) until JetStream acknowledged it on INBOUND
// (embedded server, file storage); ns/op is the mean, p50-ms and p99-ms
// the median and 99th percentile. Backfill: mails per second from a
// 10,000-mail folder on Dovecot into INBOUND, first start with backfill;
// the folder is made once (APPEND) and reused. Use -benchtime 1x.

// benchMail is a realistic mail of a few KiB, distinct per i.
func benchMail(i int) []byte {
	s := imaptest.Samples()
	base := s[i%len(s)].Raw
	return append([]byte(fmt.Sprintf("X-Bench: %d\r\n", i)), bytes.Replace(base, []byte("Message-ID: <"), []byte(fmt.Sprintf("Message-ID: <bench%d.", i)), 1)...)
}

func reportLatencies(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

func BenchmarkIdleLatency(b *testing.B) {
	b.Run("memserver", func(b *testing.B) {
		srv := startServer(b, imaptest.Options{})
		acct := account(b, srv, testMailbox)
		acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
		benchIdle(b, acct, func(i int) {
			if _, err := srv.Append(testUser, "INBOX", benchMail(i)); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("dovecot", func(b *testing.B) {
		e := dovecot(b)
		folder := e.folder(b, benchUser)
		acct := e.account(b, "bob", benchUser, benchPassword, folder, false)
		c := e.client(b, benchUser, benchPassword)
		benchIdle(b, acct, func(i int) {
			if err := appendMail(c, folder, benchMail(i)); err != nil {
				b.Fatal(err)
			}
		})
	})
}

func appendMail(c *imapclient.Client, folder string, raw []byte) error {
	cmd := c.Append(folder, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

func benchIdle(b *testing.B, acct imap.Account, deliver func(i int)) {
	bs := natstest.Embedded(b)
	pub := newRecorder(bs)
	r := startWorker(b, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
	waitSessions(b, r, 1)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		deliver(i)
		got := pub.waitCount(b, i+1, waitLong)
		lat = append(lat, got[i].at.Sub(start))
	}
	b.StopTimer()
	reportLatencies(b, lat)
}

const backfillMails = 10_000

func BenchmarkBackfill(b *testing.B) {
	e := dovecot(b)
	const folder = "bench-backfill-10k"
	c := e.client(b, benchUser, benchPassword)
	st, err := c.Status(folder, &goimap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || st.NumMessages == nil || *st.NumMessages != backfillMails {
		_ = c.Delete(folder).Wait()
		if err := c.Create(folder, nil).Wait(); err != nil {
			b.Fatalf("create %s: %v", folder, err)
		}
		b.Logf("filling %s with %d mails", folder, backfillMails)
		for i := range backfillMails {
			if err := appendMail(c, folder, benchMail(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	cfg := testConfig()
	cfg.Backfill = config.Duration(100 * 365 * 24 * time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		bs := natstest.Embedded(b)
		pub := newRecorder(bs)
		acct := e.account(b, "bob", benchUser, benchPassword, folder, false)
		b.StartTimer()
		start := time.Now()
		r := startWorker(b, cfg, []imap.Account{acct}, pub, imap.NewMemoryStore())
		pub.waitCount(b, backfillMails, 10*time.Minute)
		elapsed := time.Since(start)
		b.StopTimer()
		r.stop(b)
		b.ReportMetric(backfillMails/elapsed.Seconds(), "mails/s")
		natstest.Close(b, bs)
		b.StartTimer()
	}
}
