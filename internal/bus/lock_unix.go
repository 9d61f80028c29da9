//go:build unix

package bus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// LockFileName is the file in the store directory whose exclusive lock
// keeps a second embedded server (in this or another process) off the same
// JetStream files; nats-server has no such lock of its own.
const LockFileName = "scamscreen.lock"

// ErrStoreLocked reports a store directory already used by a running
// embedded server.
var ErrStoreLocked = errors.New("store dir is in use by another embedded server")

// storeLock is an exclusive flock on LockFileName. flock locks belong to
// the open file description, so a second lock attempt conflicts even from
// the same process.
type storeLock struct {
	f *os.File
}

func lockStoreDir(dir string) (*storeLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store dir: %w", err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store dir lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid := strings.TrimSpace(string(b)); pid != "" {
				holder = " (held by pid " + pid + ")"
			}
		}
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked%s; stop the other scamscreen or use another embedded.store_dir", ErrStoreLocked, path, holder)
		}
		return nil, fmt.Errorf("store dir lock %s: %w", path, err)
	}
	// The pid is only a hint for the message above; the lock is what counts.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &storeLock{f: f}, nil
}

// release drops the lock. The file stays so that its inode, which the lock
// is on, is never replaced under a waiting process.
func (l *storeLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
