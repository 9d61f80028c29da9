package bus

import (
	"fmt"
	"sync/atomic"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
)

// serverLogger adapts zap to nats-server's Logger. Unlike the server's own
// logger, Fatalf does not exit the process: it logs at error level and
// remembers the message, so that a start failure (a port in use) becomes an
// error returned by Open instead of os.Exit inside a library.
type serverLogger struct {
	log   *zap.Logger
	fatal atomic.Pointer[string]
}

var _ server.Logger = (*serverLogger)(nil)

func newServerLogger(log *zap.Logger) *serverLogger {
	return &serverLogger{log: log.WithOptions(zap.AddCallerSkip(1))}
}

// The server's messages are formatted text; they carry connection and
// stream names, never message payloads (those appear only at trace level,
// which is never enabled here).

func (l *serverLogger) Noticef(format string, v ...any) { l.log.Info(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *serverLogger) Tracef(format string, v ...any)  {}

func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.fatal.Store(&msg)
	l.log.Error(msg, zap.Bool("fatal", true))
}

// lastFatal returns the last message given to Fatalf, or "".
func (l *serverLogger) lastFatal() string {
	if p := l.fatal.Load(); p != nil {
		return *p
	}
	return ""
}
