package obs

import "time"

// NewLoggerWithOptions exposes newLogger, so tests can fix the clock the
// sampler sees.
var NewLoggerWithOptions = newLogger

// SetReadinessTimeout shortens /readyz's timeout for a test.
func (a *Admin) SetReadinessTimeout(d time.Duration) { a.readinessTimeout = d }

// IsTerminal exposes isTerminal.
var IsTerminal = isTerminal
