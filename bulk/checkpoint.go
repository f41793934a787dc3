package bulk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// checkpoint is what a file's import has committed: every line before Line, ending at
// Offset, and what those lines came to. Size and ModTime tie it to the file as it was.
type checkpoint struct {
	File    string    `json:"file"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
	Line    int64     `json:"line"`
	Offset  int64     `json:"offset"`
	Tally   tally     `json:"tally"`
}

// tally is what the committed lines of one file came to, over every run.
type tally struct {
	Counts
	ByType map[string]Counts `json:"byType,omitempty"`
	Errors []savedError      `json:"errors,omitempty"` // at most MaxErrors
}

func (t *tally) add(typ string, c Counts) {
	t.Counts = t.Counts.plus(c)
	if typ != "" {
		t.ByType[typ] = t.ByType[typ].plus(c)
	}
}

// savedError is a line error as a checkpoint keeps it.
type savedError struct {
	Line   int64        `json:"line"`
	Kind   fhir.Kind    `json:"kind"`
	Issues []fhir.Issue `json:"issues,omitempty"`
	Text   string       `json:"text,omitempty"` // an error that is not a *fhir.Error
}

func saveError(line int64, err error) savedError {
	var fe *fhir.Error
	if errors.As(err, &fe) {
		return savedError{Line: line, Kind: fe.Kind, Issues: fe.Issues}
	}
	return savedError{Line: line, Kind: fhir.KindInternal, Text: err.Error()}
}

func (e savedError) lineError(file string) LineError {
	if e.Text != "" {
		return LineError{File: file, Line: e.Line, Err: errors.New(e.Text)}
	}
	return LineError{File: file, Line: e.Line, Err: &fhir.Error{Kind: e.Kind, Op: "bulk.Import", Details: "a line error of an earlier run", Issues: e.Issues}}
}

// resume takes up the tally of a file's earlier runs; with Cumulative, the report counts
// them too.
func (im *importer) resume(name string, prev tally) {
	im.tally = prev
	if im.tally.ByType == nil {
		im.tally.ByType = map[string]Counts{}
	}
	if !im.opts.Cumulative {
		return
	}
	im.report.Loaded += prev.Loaded
	im.report.Unchanged += prev.Unchanged
	im.report.Failed += prev.Failed
	im.progress.Loaded, im.progress.Unchanged, im.progress.Failed = im.report.Loaded, im.report.Unchanged, im.report.Failed
	for typ, c := range prev.ByType {
		im.report.ByType[typ] = im.report.ByType[typ].plus(c)
	}
	for _, e := range prev.Errors {
		im.report.Errors = append(im.report.Errors, e.lineError(name))
	}
}

func (im *importer) checkpointPath(abs string) string {
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(im.opts.CheckpointDir, "import-"+hex.EncodeToString(sum[:8])+".json")
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
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	path := im.checkpointPath(cp.File)
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}
