package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/bulk"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// The bodies of $import: NDJSON streamed to a file, a Parameters naming inputs, and the
// report of a completed job.

// bodyFile is the name of an NDJSON body in its job's input directory.
const bodyFile = "body.ndjson"

// maxScanLine bounds the line receiveNDJSON reads for its type; a longer line is kept in
// the file, and the job reports it as too long (bulk.ImportOptions.MaxLineBytes).
const maxScanLine = 8 << 20

// receiveNDJSON streams the body into dir, refusing more than limit bytes (after
// decompression), and notes the resource types of its lines for authorisation. A line
// whose type cannot be read is left for the job to report.
func receiveNDJSON(c *gin.Context, dir string, limit int64) (bulk.ImportRequest, error) {
	r, done, err := bodyReader(c)
	if err != nil {
		return bulk.ImportRequest{}, err
	}
	defer done()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return bulk.ImportRequest{}, fhir.Wrap("api.import", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, bodyFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return bulk.ImportRequest{}, fhir.Wrap("api.import", err)
	}
	types, lines, err := copyNDJSON(f, io.LimitReader(r, limit+1), limit)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fhir.Wrap("api.import", cerr)
	}
	if err != nil {
		return bulk.ImportRequest{}, err
	}
	if lines == 0 {
		return bulk.ImportRequest{}, fhir.Errorf(fhir.KindInvalid, "required", "", "the body holds no resources: send one FHIR resource per line")
	}
	return bulk.ImportRequest{Inputs: []bulk.ImportInput{{File: bodyFile}}, Types: types}, nil
}

// copyNDJSON copies r to w and returns the sorted resource types of its lines and how
// many lines are not blank.
func copyNDJSON(w io.Writer, r io.Reader, limit int64) (types []string, lines int64, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	bw := bufio.NewWriterSize(w, 1<<20)
	seen := map[string]bool{}
	var line []byte
	var n int64
	tooLong := false
	for {
		chunk, rerr := br.ReadSlice('\n')
		if n += int64(len(chunk)); n > limit {
			return nil, 0, tooLarge(limit)
		}
		if _, err := bw.Write(chunk); err != nil {
			return nil, 0, fhir.Wrap("api.import", err)
		}
		if tooLong = tooLong || len(line)+len(chunk) > maxScanLine; !tooLong {
			line = append(line, chunk...)
		}
		if rerr == bufio.ErrBufferFull {
			continue
		}
		if t := bytes.TrimSpace(line); len(t) > 0 || tooLong {
			lines++
			if typ := lineType(t); !tooLong && typ != "" {
				seen[typ] = true
			}
		}
		line, tooLong = line[:0], false
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			var mbe *http.MaxBytesError
			if errors.As(rerr, &mbe) {
				return nil, 0, tooLarge(limit)
			}
			return nil, 0, fhir.Errorf(fhir.KindInvalid, "invalid", "", "the request body could not be read")
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, 0, fhir.Wrap("api.import", err)
	}
	return slices.Sorted(maps.Keys(seen)), lines, nil
}

// lineType is the resourceType of a line, "" when it has none a FHIR type could have.
func lineType(line []byte) string {
	var probe struct {
		ResourceType string `json:"resourceType"`
	}
	if len(line) == 0 || json.Unmarshal(line, &probe) != nil || !fhir.IsResourceType(probe.ResourceType) {
		return ""
	}
	return probe.ResourceType
}

// importParameters reads a Parameters kick-off: inputFormat, and input parts of type and
// url, each url under sources. Other parameters (inputSource, storageDetail, …) are
// ignored.
func importParameters(c *gin.Context, limit int64, sources bulk.Sources) (bulk.ImportRequest, error) {
	body, err := readBody(c, limit)
	if err != nil {
		return bulk.ImportRequest{}, err
	}
	r, err := fhir.Decode(body)
	if err != nil {
		return bulk.ImportRequest{}, err
	}
	if r.Type != "Parameters" {
		return bulk.ImportRequest{}, fhir.Errorf(fhir.KindInvalid, "invalid", "resourceType",
			"the body is a %s; $import takes NDJSON, or a Parameters resource with input parts", r.Type)
	}
	var req bulk.ImportRequest
	for i, p := range list(r.Object["parameter"]) {
		where := fmt.Sprintf("Parameters.parameter[%d]", i)
		switch name, _ := member(p, "name").(string); name {
		case "inputFormat":
			if f := paramValue(p); !slices.Contains(mimeNDJSON, f) {
				return bulk.ImportRequest{}, fhir.Errorf(fhir.KindInvalid, "not-supported", where,
					"inputFormat %q is not supported; inputs must be application/fhir+ndjson", f)
			}
		case "input":
			var in bulk.ImportInput
			for _, part := range list(member(p, "part")) {
				switch pn, _ := member(part, "name").(string); pn {
				case "type":
					in.Type = paramValue(part)
				case "url":
					in.URL = paramValue(part)
				}
			}
			if !fhir.IsResourceType(in.Type) {
				return bulk.ImportRequest{}, fhir.Errorf(fhir.KindInvalid, "required", where,
					"an input needs a type part naming the FHIR resource type of its lines")
			}
			if err := sources.Check(in.URL); err != nil {
				return bulk.ImportRequest{}, err
			}
			req.Inputs = append(req.Inputs, in)
			if !slices.Contains(req.Types, in.Type) {
				req.Types = append(req.Types, in.Type)
			}
		}
	}
	if len(req.Inputs) == 0 {
		return bulk.ImportRequest{}, fhir.Errorf(fhir.KindInvalid, "required", "", "the Parameters has no input part (type and url)")
	}
	slices.Sort(req.Types)
	return req, nil
}

// paramValue is the value of a parameter or part, of the primitive types an input's
// parameters come in.
func paramValue(p any) string {
	for _, k := range []string{"valueCode", "valueString", "valueUri", "valueUrl", "valueCanonical"} {
		if v, ok := member(p, k).(string); ok {
			return v
		}
	}
	return ""
}

// importReport is the report of a completed import, shaped like a Bulk Data manifest.
type importReport struct {
	TransactionTime     string         `json:"transactionTime"` // when the job ended
	Request             string         `json:"request"`
	RequiresAccessToken bool           `json:"requiresAccessToken"`
	Output              []importOutput `json:"output"`
	Error               []importError  `json:"error"`
	Extension           map[string]any `json:"extension"`
} // @name ImportReport

type importOutput struct {
	Type      string `json:"type"`
	Count     int64  `json:"count"` // written or found unchanged
	Loaded    int64  `json:"loaded"`
	Unchanged int64  `json:"unchanged"`
	Failed    int64  `json:"failed"`
}

type importError struct {
	Type    string  `json:"type"`  // OperationOutcome
	Input   string  `json:"input"` // the input's URL, or "request body"
	Line    int64   `json:"line"`
	Outcome outcome `json:"outcome"`
}

// writeReport answers 200 with the report of the completed job j, as application/json
// (Bulk Data's manifests are plain JSON).
func writeReport(c *gin.Context, j store.Job) {
	var req bulk.ImportRequest
	var res bulk.ImportResult
	if err := errors.Join(json.Unmarshal(j.Request, &req), json.Unmarshal(j.Result, &res)); err != nil {
		fail(c, fhir.Wrap("api.importStatus", err))
		return
	}
	rep := importReport{TransactionTime: fhir.FormatInstant(j.Updated), Request: req.Request, RequiresAccessToken: true,
		Output: []importOutput{}, Error: []importError{},
		Extension: map[string]any{"jobId": j.ID, "loaded": res.Loaded, "unchanged": res.Unchanged, "failed": res.Failed}}
	for _, t := range slices.Sorted(maps.Keys(res.Types)) {
		n := res.Types[t]
		rep.Output = append(rep.Output, importOutput{Type: t, Count: n.Loaded + n.Unchanged, Loaded: n.Loaded, Unchanged: n.Unchanged, Failed: n.Failed})
	}
	for _, e := range res.Errors {
		rep.Error = append(rep.Error, importError{Type: "OperationOutcome", Input: e.Input, Line: e.Line, Outcome: outcomeJSON(e.Issues)})
	}
	body, err := marshal(rep)
	if err != nil {
		fail(c, fhir.Wrap("api.importStatus", err))
		return
	}
	c.Header("Content-Type", mimeJSON+"; charset=utf-8")
	c.Status(http.StatusOK)
	writeBody(c, body)
}
