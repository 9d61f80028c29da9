package bus_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: every
// consume loop, heartbeat, connection and embedded server must be stopped
// by Close or by its context.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
