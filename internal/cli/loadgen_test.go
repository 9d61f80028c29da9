package cli

import (
	"strings"
	"testing"
)

func TestLoadgen(t *testing.T) {
	code, out, errs := run(t, "", "loadgen", "-count", "500", "-concurrency", "4")
	if code != ExitOK {
		t.Fatalf("loadgen = %d\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"500 SMS-sized messages", "verdicts: 500 in", "p99"} {
		if !strings.Contains(out, want) {
			t.Errorf("loadgen output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "WARNING") {
		t.Errorf("loadgen lost or duplicated verdicts:\n%s", out)
	}
	if code, _, _ := run(t, "", "loadgen", "-count", "0"); code != ExitUsage {
		t.Errorf("loadgen -count 0 = %d, want usage error", code)
	}
}
