//go:build !unix

package sqlite

import "os"

// lockDir is a no-op where flock is not available: one process per store is then the
// operator's rule to keep.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
}
