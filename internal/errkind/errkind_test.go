package errkind_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/internal/errkind"
)

type codeError struct{ code int }

func (e *codeError) Error() string { return fmt.Sprintf("code %d", e.code) }

func TestClassify(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name          string
		err           error
		kind          errkind.Kind
		permanent     bool
		temporary     bool
		retryAfter    time.Duration
		hasRetryAfter bool
	}{
		{name: "nil", err: nil, kind: errkind.KindNone},
		{name: "unclassified", err: base, kind: errkind.KindTemporary, temporary: true},
		{name: "permanent", err: errkind.Permanent(base), kind: errkind.KindPermanent, permanent: true},
		{name: "temporary without delay", err: errkind.Temporary(base, 0), kind: errkind.KindTemporary, temporary: true},
		{name: "temporary with delay", err: errkind.Temporary(base, 3*time.Second), kind: errkind.KindTemporary, temporary: true, retryAfter: 3 * time.Second, hasRetryAfter: true},
		{name: "temporary with negative delay", err: errkind.Temporary(base, -time.Second), kind: errkind.KindTemporary, temporary: true},
		{name: "wrapped permanent", err: fmt.Errorf("decode %s: %w", "em-1", errkind.Permanent(base)), kind: errkind.KindPermanent, permanent: true},
		{name: "wrapped temporary with delay", err: fmt.Errorf("send: %w", errkind.Temporary(base, time.Minute)), kind: errkind.KindTemporary, temporary: true, retryAfter: time.Minute, hasRetryAfter: true},
		{name: "outer temporary beats inner permanent", err: errkind.Temporary(errkind.Permanent(base), 0), kind: errkind.KindTemporary, temporary: true},
		{name: "outer permanent beats inner temporary", err: errkind.Permanent(errkind.Temporary(base, time.Second)), kind: errkind.KindPermanent, permanent: true},
		{name: "canceled", err: context.Canceled, kind: errkind.KindCanceled},
		{name: "wrapped canceled", err: fmt.Errorf("screen em-1: %w", context.Canceled), kind: errkind.KindCanceled},
		{name: "deadline is temporary", err: context.DeadlineExceeded, kind: errkind.KindTemporary, temporary: true},
		{name: "permanent canceled", err: errkind.Permanent(context.Canceled), kind: errkind.KindPermanent, permanent: true},
		{name: "temporary canceled", err: errkind.Temporary(context.Canceled, 0), kind: errkind.KindTemporary, temporary: true},
		{name: "joined with permanent", err: errors.Join(base, errkind.Permanent(io.EOF)), kind: errkind.KindPermanent, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errkind.Classify(tt.err); got != tt.kind {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.kind)
			}
			if got := errkind.IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.permanent)
			}
			if got := errkind.IsTemporary(tt.err); got != tt.temporary {
				t.Errorf("IsTemporary(%v) = %v, want %v", tt.err, got, tt.temporary)
			}
			d, ok := errkind.RetryAfter(tt.err)
			if d != tt.retryAfter || ok != tt.hasRetryAfter {
				t.Errorf("RetryAfter(%v) = %v, %v, want %v, %v", tt.err, d, ok, tt.retryAfter, tt.hasRetryAfter)
			}
		})
	}
}

func TestWrappersAreTransparent(t *testing.T) {
	inner := &codeError{code: 429}
	wrappers := []struct {
		name string
		wrap func(error) error
	}{
		{"Permanent", errkind.Permanent},
		{"Temporary", func(err error) error { return errkind.Temporary(err, time.Second) }},
	}
	for _, w := range wrappers {
		t.Run(w.name, func(t *testing.T) {
			err := w.wrap(fmt.Errorf("call: %w", inner))
			if got, want := err.Error(), "call: code 429"; got != want {
				t.Errorf("%s(err).Error() = %q, want %q", w.name, got, want)
			}
			if !errors.Is(err, inner) {
				t.Errorf("errors.Is(%s(err), inner) = false, want true", w.name)
			}
			var ce *codeError
			if !errors.As(err, &ce) || ce.code != 429 {
				t.Errorf("errors.As(%s(err), *codeError) = %v, want code 429", w.name, ce)
			}
			if got := errors.Unwrap(err); got == nil || got.Error() != "call: code 429" {
				t.Errorf("errors.Unwrap(%s(err)) = %v, want the wrapped error", w.name, got)
			}
		})
	}
}

func TestNilStaysNil(t *testing.T) {
	if err := errkind.Permanent(nil); err != nil {
		t.Errorf("Permanent(nil) = %v, want nil", err)
	}
	if err := errkind.Temporary(nil, time.Second); err != nil {
		t.Errorf("Temporary(nil, 1s) = %v, want nil", err)
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k    errkind.Kind
		want string
	}{
		{errkind.KindNone, "none"},
		{errkind.KindTemporary, "temporary"},
		{errkind.KindPermanent, "permanent"},
		{errkind.KindCanceled, "canceled"},
		{errkind.Kind(42), "unknown"},
		{errkind.Kind(-1), "unknown"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tt.k), got, tt.want)
		}
	}
}
