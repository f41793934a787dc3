package bulk

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// ImportOptions tune an import; the zero value is usable.
type ImportOptions struct {
	BatchSize     int // resources per store transaction; 0 means 500
	Workers       int // lines decoded and validated at once; 0 means GOMAXPROCS
	MaxLineBytes  int // longest line accepted; 0 means 8 MiB
	UniqueRules   []fhir.UniqueRule
	CheckpointDir string         // where progress is kept between runs; "" keeps none
	Progress      func(Progress) // called after every batch
	MaxErrors     int            // line errors kept in the report; 0 means 1000
}

// Progress is where an import stands.
type Progress struct {
	File                      string
	Bytes, TotalBytes         int64 // of all files
	Loaded, Unchanged, Failed int64 // resources so far
	Started                   time.Time
}

// LineError is a line that could not be loaded.
type LineError struct {
	File string
	Line int64 // 1-based
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Report is the outcome of an import.
type Report struct {
	Loaded, Unchanged, Failed int64
	Resumed                   []string // files continued from a checkpoint
	Errors                    []LineError
	Elapsed                   time.Duration
}

// typeOrder is the order files are loaded in, by the type they hold: what others refer
// to first, so that conditional references (Location?identifier=…) find their target.
var typeOrder = []string{"Organization", "Location", "Practitioner", "PractitionerRole", "Patient", "RelatedPerson", "Group"}

func rank(file string) int {
	typ, _, _ := strings.Cut(filepath.Base(file), ".")
	if i := slices.Index(typeOrder, typ); i >= 0 {
		return i
	}
	return len(typeOrder)
}

// Import loads the NDJSON files into st (see the package documentation). It returns an
// error only when it cannot go on (a file unreadable, the store failing, ctx ended); bad
// lines are in the report.
func Import(ctx context.Context, st store.Store, files []string, opts ImportOptions) (Report, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = 8 << 20
	}
	if opts.MaxErrors <= 0 {
		opts.MaxErrors = 1000
	}
	if opts.UniqueRules == nil {
		opts.UniqueRules = fhir.DefaultUniqueRules
	}
	files = slices.Clone(files)
	slices.SortStableFunc(files, func(a, b string) int { return rank(a) - rank(b) })
	im := &importer{st: st, opts: opts, progress: Progress{Started: time.Now()}}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return im.report, err
		}
		im.progress.TotalBytes += fi.Size()
	}
	for _, f := range files {
		if err := im.file(ctx, f); err != nil {
			im.report.Elapsed = time.Since(im.progress.Started)
			return im.report, err
		}
	}
	im.report.Elapsed = time.Since(im.progress.Started)
	return im.report, nil
}

type importer struct {
	st        store.Store
	opts      ImportOptions
	progress  Progress
	report    Report
	filesDone int64 // bytes of the files finished
}

// line is one line of a file on its way to the store.
type line struct {
	no  int64
	raw []byte
	op  store.Op
	err error
}

// checkpoint is what a file's import has committed: every line before Line, ending at
// Offset. Size and ModTime tie it to the file as it was.
type checkpoint struct {
	File    string    `json:"file"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
	Line    int64     `json:"line"`
	Offset  int64     `json:"offset"`
}

func (im *importer) checkpointPath(abs string) string {
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(im.opts.CheckpointDir, "import-"+hex.EncodeToString(sum[:8])+".json")
}

func (im *importer) file(ctx context.Context, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	defer func() { im.filesDone += fi.Size() }()
	abs, _ := filepath.Abs(name)
	cp := checkpoint{File: abs, Size: fi.Size(), ModTime: fi.ModTime().UTC()}
	if prev, ok := im.load(cp); ok {
		if prev.Offset == cp.Size {
			return nil // loaded whole before
		}
		if _, err := f.Seek(prev.Offset, io.SeekStart); err != nil {
			return err
		}
		cp.Line, cp.Offset = prev.Line, prev.Offset
		im.report.Resumed = append(im.report.Resumed, name)
	}
	im.progress.File = name
	// Batches are read and prepared (decoded, validated, indexed: both cores) while the
	// previous one is written (the store's single writer), one batch ahead.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan prepared, 1)
	go im.read(ctx, bufio.NewReaderSize(f, 1<<20), cp, ready)
	for p := range ready {
		if p.err != nil {
			return p.err
		}
		if len(p.batch) > 0 {
			if err := im.write(ctx, name, p.batch); err != nil {
				return err
			}
		}
		if err := im.save(p.cp); err != nil {
			return err
		}
		im.progress.Bytes = im.filesDone + p.cp.Offset
		if im.opts.Progress != nil {
			im.opts.Progress(im.progress)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// prepared is a batch ready to write, and the checkpoint once it is written.
type prepared struct {
	batch []line
	cp    checkpoint
	err   error
}

// read sends the file's batches, prepared, on out until the end of the file (then closes
// out), an error (sent), or ctx's end.
func (im *importer) read(ctx context.Context, r *bufio.Reader, cp checkpoint, out chan<- prepared) {
	defer close(out)
	for {
		batch := make([]line, 0, im.opts.BatchSize)
		var readErr error
		for len(batch) < im.opts.BatchSize && readErr == nil {
			raw, n, tooLong, err := readLine(r, im.opts.MaxLineBytes)
			cp.Line++
			cp.Offset += n
			readErr = err
			if len(bytes.TrimSpace(raw)) == 0 && !tooLong {
				continue // blank lines, and the end of the file
			}
			l := line{no: cp.Line, raw: raw}
			if tooLong {
				l.err = fhir.Errorf(fhir.KindTooLarge, "too-long", "", "the line is longer than %d bytes", im.opts.MaxLineBytes)
			}
			batch = append(batch, l)
		}
		p := prepared{batch: batch, cp: cp}
		if readErr != nil && readErr != io.EOF {
			p.err = readErr
		} else {
			im.prepare(batch)
		}
		select {
		case out <- p:
		case <-ctx.Done():
			return
		}
		if readErr != nil {
			return
		}
	}
}

// load returns the checkpoint of the file cp describes, if one was saved for the file
// as it is (same size and modification time).
func (im *importer) load(cp checkpoint) (checkpoint, bool) {
	if im.opts.CheckpointDir == "" {
		return checkpoint{}, false
	}
	b, err := os.ReadFile(im.checkpointPath(cp.File))
	if err != nil {
		return checkpoint{}, false
	}
	var prev checkpoint
	if json.Unmarshal(b, &prev) != nil || prev.File != cp.File || prev.Size != cp.Size || !prev.ModTime.Equal(cp.ModTime) || prev.Offset > cp.Size {
		return checkpoint{}, false
	}
	return prev, true
}

// save records cp, after its lines are committed: atomically (temporary file, rename).
func (im *importer) save(cp checkpoint) error {
	if im.opts.CheckpointDir == "" {
		return nil
	}
	if err := os.MkdirAll(im.opts.CheckpointDir, 0o700); err != nil {
		return err
	}
	b, _ := json.Marshal(cp)
	path := im.checkpointPath(cp.File)
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// readLine reads one line: its content without the line break, the bytes it took, and
// whether it was longer than max (then its content is dropped).
func readLine(r *bufio.Reader, max int) (content []byte, n int64, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, e := r.ReadSlice('\n')
		n += int64(len(chunk))
		if !tooLong {
			if len(buf)+len(chunk) > max+2 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if e == bufio.ErrBufferFull {
			continue
		}
		return bytes.TrimRight(buf, "\r\n"), n, tooLong, e
	}
}

// prepare decodes and validates the lines of a batch on every core, making each an
// upsert by its id (a create with a new id when it has none).
func (im *importer) prepare(batch []line) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(im.opts.Workers, len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				l := &batch[i]
				if l.err != nil {
					continue
				}
				l.op, l.err = im.op(l.raw)
				l.raw = nil
			}
		}()
	}
	for i := range batch {
		next <- i
	}
	close(next)
	wg.Wait()
}

func (im *importer) op(raw []byte) (store.Op, error) {
	r, err := fhir.Decode(raw)
	if err != nil {
		return store.Op{}, err
	}
	if err := fhir.Validate(r); err != nil {
		return store.Op{}, err
	}
	if r.ID == "" {
		op := store.NewWrite(store.OpCreate, r, im.opts.UniqueRules)
		op.ID = uuid.Must(uuid.NewV7()).String()
		return op, nil
	}
	op := store.NewWrite(store.OpUpdate, r, im.opts.UniqueRules)
	op.SkipUnchanged = true
	return op, nil
}

// write stores the good lines of a batch in one transaction. When the transaction fails
// (a line breaks a rule only the store sees: a duplicate NHS number, an unresolved
// conditional reference), each line is stored on its own so the others still load.
func (im *importer) write(ctx context.Context, name string, batch []line) error {
	var ops []store.Op
	var idx []int
	for i := range batch {
		if batch[i].err != nil {
			im.fail(name, batch[i])
			continue
		}
		ops = append(ops, batch[i].op)
		idx = append(idx, i)
	}
	if len(ops) == 0 {
		return nil
	}
	results, err := im.st.Transaction(ctx, ops)
	if err == nil {
		im.count(results)
		return nil
	}
	if !lineFault(err) {
		return err
	}
	for k, op := range ops {
		res, err := im.st.Transaction(ctx, []store.Op{op})
		switch {
		case err == nil:
			im.count(res)
		case lineFault(err):
			l := batch[idx[k]]
			l.err = err
			im.fail(name, l)
		default:
			return err
		}
	}
	return nil
}

// lineFault reports whether err is about the data (so about one line) rather than the
// store or the context.
func lineFault(err error) bool {
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return false
	}
	switch fe.Kind {
	case fhir.KindInternal, fhir.KindUnavailable:
		return false
	}
	return true
}

func (im *importer) count(results []store.Result) {
	for _, r := range results {
		if r.Outcome == store.NoOp {
			im.progress.Unchanged++
			im.report.Unchanged++
		} else {
			im.progress.Loaded++
			im.report.Loaded++
		}
	}
}

func (im *importer) fail(name string, l line) {
	im.progress.Failed++
	im.report.Failed++
	if len(im.report.Errors) < im.opts.MaxErrors {
		im.report.Errors = append(im.report.Errors, LineError{File: name, Line: l.no, Err: l.err})
	}
}
