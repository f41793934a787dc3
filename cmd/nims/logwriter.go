package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter batches log lines: one write system call per request showed in profiles of
// the read path. Lines reach the underlying writer within flushEvery, when the buffer
// fills, and on Close; a crash loses at most that interval of access lines.
type logWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const flushEvery = 100 * time.Millisecond

func newLogWriter(w io.Writer) *logWriter {
	lw := &logWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go lw.loop()
	return lw
}

func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Write(p)
}

func (lw *logWriter) loop() {
	defer close(lw.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			lw.flush()
		case <-lw.stop:
			lw.flush()
			return
		}
	}
}

func (lw *logWriter) flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	_ = lw.buf.Flush()
}

// Close flushes what is buffered and stops the flusher.
func (lw *logWriter) Close() error {
	close(lw.stop)
	<-lw.done
	return nil
}
