//go:build unix

package sqlite

import (
	"errors"
	"os"
	"syscall"
)

// lockDir takes the store's directory for this process: a second process opening the same
// store (a second nims serve, a nims import beside a running server) would write behind
// the first one's read cache, which would then serve versions it no longer holds. The lock
// is an flock on dir/nims.lock, released by Close or when the process dies.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}
