package bulk

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/nimsproject/nims/fhir"
)

// What an import job keeps in the store (store.Job's Request, Progress and Result, as
// JSON), and where its files are: Dir/<job id>/input holds the inputs, received with the
// request or fetched by the runner; Dir/<job id>/checkpoints holds Import's checkpoints,
// so a runner that takes the job over resumes where the last one stopped.

// KindImport is the store.Job Kind of imports.
const KindImport = "import"

// DefaultMaxImportBytes bounds one import input: an NDJSON body sent with the request, or
// a file fetched from a source.
const DefaultMaxImportBytes = 10 << 30

// ImportRequest is an import job's Request.
type ImportRequest struct {
	Request string        `json:"request"` // the kick-off URL, for the report
	Inputs  []ImportInput `json:"inputs"`
	// Types are the only resource types the job may write: those the client was
	// authorised to write when it asked. A line of another type fails.
	Types []string `json:"types"`
}

// ImportInput is one NDJSON file to load: File, received with the request (a name in
// the job's input directory), or URL, fetched by the runner from a source.
type ImportInput struct {
	Type string `json:"type,omitempty"` // the type declared for a URL input
	URL  string `json:"url,omitempty"`
	File string `json:"file,omitempty"`
}

// label names an input to the client: its URL, or "request body" for one it sent.
func (in ImportInput) label() string {
	if in.URL != "" {
		return in.URL
	}
	return "request body"
}

// ImportProgress is an import job's Progress.
type ImportProgress struct {
	Phase      string `json:"phase"` // "fetching" the inputs, then "loading" them
	Bytes      int64  `json:"bytes"` // of the inputs, loaded so far
	TotalBytes int64  `json:"totalBytes"`
	Counts
}

// ImportResult is a completed import job's Result.
type ImportResult struct {
	Counts
	Types  map[string]Counts `json:"types"`  // by resource type
	Errors []ImportError     `json:"errors"` // the lines that failed (at most ImportOptions.MaxErrors per input)
}

// ImportError is a line that could not be loaded. Its issues may quote the line: they are
// for the client that sent it, never for logs.
type ImportError struct {
	Input  string       `json:"input"` // the input's URL, or "request body"
	Line   int64        `json:"line"`  // 1-based
	Issues []fhir.Issue `json:"issues"`
}

// JobDir is where the files of job id live under dir; InputDir holds its inputs.
func JobDir(dir, id string) string   { return filepath.Join(dir, id) }
func InputDir(dir, id string) string { return filepath.Join(dir, id, "input") }

// RemoveJobFiles deletes what job id keeps on disk, once it has ended or was cancelled.
func RemoveJobFiles(dir, id string) error {
	if id == "" || filepath.Base(id) != id {
		return errors.New("bulk.RemoveJobFiles: not a job id")
	}
	return os.RemoveAll(JobDir(dir, id))
}

// result makes the job's Result from Import's report; files maps each file loaded to its
// input.
func result(rep Report, files map[string]ImportInput) ImportResult {
	res := ImportResult{Counts: Counts{Loaded: rep.Loaded, Unchanged: rep.Unchanged, Failed: rep.Failed},
		Types: rep.ByType, Errors: []ImportError{}}
	for _, e := range rep.Errors {
		issues := []fhir.Issue{{Severity: fhir.SeverityError, Code: "processing", Diagnostics: "the line could not be loaded"}}
		var fe *fhir.Error
		if errors.As(e.Err, &fe) && len(fe.Issues) > 0 && fe.Kind != fhir.KindInternal {
			issues = fe.Issues
		}
		res.Errors = append(res.Errors, ImportError{Input: files[e.File].label(), Line: e.Line, Issues: issues})
	}
	return res
}
