package main

import (
	"bytes"
	"sync"
	"testing"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Nothing written to the log is lost: Close flushes every line, from many writers.
func TestLogWriterFlushesOnClose(t *testing.T) {
	var out lockedBuffer
	lw := newLogWriter(&out)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				lw.Write([]byte("a line of log\n"))
			}
		}()
	}
	wg.Wait()
	lw.Close()
	if got := bytes.Count([]byte(out.String()), []byte("\n")); got != 8000 {
		t.Errorf("%d lines reached the output, want 8000", got)
	}
}
