package obs

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Log formats accepted in [LogConfig.Format].
const (
	FormatAuto    = "auto"
	FormatJSON    = "json"
	FormatConsole = "console"
)

// Sampling, as zap's production config: per second and per level and
// message, the first samplingFirst entries are kept, then every
// samplingThereafter-th. Messages are constant, so this bounds floods of one
// kind of line; vary fields, not messages.
const (
	samplingTick       = time.Second
	samplingFirst      = 100
	samplingThereafter = 100
)

// LogConfig selects how a logger writes.
type LogConfig struct {
	// Level is the minimum level: debug, info (the default), warn or error.
	Level string `yaml:"level" json:"level"`
	// Format is json, console, or auto (the default): console when the
	// output is a terminal, JSON otherwise.
	Format string `yaml:"format" json:"format"`
	// HashKey keys the hashes that [Phone], [Addr] and [Text] log. Processes
	// that share a key log the same hash for the same value, so lines can be
	// correlated across replicas; without one, each logger draws a random
	// key and hashes correlate only within it. It is a secret: the caller
	// resolves it (from a config.Secret) and it is never read from YAML.
	HashKey []byte `yaml:"-" json:"-"`
}

// Validate reports an unknown level or format.
func (c LogConfig) Validate() error {
	var errs []error
	if _, err := parseLevel(c.Level); err != nil {
		errs = append(errs, err)
	}
	switch c.Format {
	case "", FormatAuto, FormatJSON, FormatConsole:
	default:
		errs = append(errs, fmt.Errorf("format %q: want json, console or auto", c.Format))
	}
	return errors.Join(errs...)
}

func parseLevel(s string) (zapcore.Level, error) {
	if s == "" {
		return zapcore.InfoLevel, nil
	}
	l, err := zapcore.ParseLevel(s)
	if err != nil || l > zapcore.ErrorLevel {
		return 0, fmt.Errorf("level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// NewLogger builds the root logger writing to w (os.Stderr when nil), and
// the level that controls it at run time. Entries have ISO8601 times,
// callers, stack traces from Error up, and pass through production sampling
// (see the constants) and then a [NewRedactingCore].
//
// Call Sync at exit and ignore its error: syncing a pipe or a terminal fails
// harmlessly.
func NewLogger(cfg LogConfig, w zapcore.WriteSyncer) (*zap.Logger, zap.AtomicLevel, error) {
	return newLogger(cfg, w)
}

// newLogger is NewLogger with extra options, so tests can fix the clock.
func newLogger(cfg LogConfig, w zapcore.WriteSyncer, opts ...zap.Option) (*zap.Logger, zap.AtomicLevel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, zap.AtomicLevel{}, fmt.Errorf("log config: %w", err)
	}
	lvl, _ := parseLevel(cfg.Level) // checked by Validate.
	level := zap.NewAtomicLevelAt(lvl)
	if w == nil {
		w = os.Stderr
	}
	terminal := isTerminal(w)

	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	encCfg.EncodeDuration = zapcore.StringDurationEncoder
	var enc zapcore.Encoder
	switch {
	case cfg.Format == FormatJSON, cfg.Format != FormatConsole && !terminal:
		enc = zapcore.NewJSONEncoder(encCfg)
	default:
		encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
		if terminal {
			encCfg.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		enc = zapcore.NewConsoleEncoder(encCfg)
	}

	key := cfg.HashKey
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms.
	}

	out := zapcore.Lock(w)
	core := zapcore.NewCore(enc, out, level)
	core = newRedactCore(core, key, true) // core decides by level only.
	core = zapcore.NewSamplerWithOptions(core, samplingTick, samplingFirst, samplingThereafter)

	opts = append([]zap.Option{
		zap.AddCaller(),
		zap.AddStacktrace(zapcore.ErrorLevel),
		zap.ErrorOutput(out),
	}, opts...)
	return zap.New(core, opts...), level, nil
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w zapcore.WriteSyncer) bool {
	f, ok := w.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
