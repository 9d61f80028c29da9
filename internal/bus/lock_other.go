//go:build !unix

package bus

import (
	"errors"
	"fmt"
	"runtime"
)

// LockFileName is the file in the store directory whose exclusive lock
// keeps a second embedded server off the same JetStream files.
const LockFileName = "scamscreen.lock"

// ErrStoreLocked reports a store directory already used by a running
// embedded server.
var ErrStoreLocked = errors.New("store dir is in use by another embedded server")

type storeLock struct{}

// lockStoreDir refuses to run: without a lock two servers could share and
// corrupt one store, so the embedded server is not offered on platforms
// where this package cannot lock a file. Use an external server there.
func lockStoreDir(string) (*storeLock, error) {
	return nil, fmt.Errorf("embedded server: store dir locking is not implemented on %s; set nats.url to an external server", runtime.GOOS)
}

func (*storeLock) release() error { return nil }
