package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/programme"
)

// The bodies of the programme's feeds: lines streamed from the request into the
// programme, never held whole, and the report answered as a Parameters resource.

// mimeCSV are the media types of a feed of comma-separated lines.
var mimeCSV = []string{"text/csv", "text/plain"}

// feedBody returns the body of the feed op as a stream, gunzipped when Content-Encoding
// says so. Its media type must be one of types (415). Reading past limit bytes, after
// decompression, fails with 413, and a body that cannot be read with 400: the lines
// before are applied by then, which a feed sent again does not repeat.
func feedBody(c *gin.Context, op typeOperation, limit int64, types []string) (r io.Reader, done func(), err error) {
	ct := c.GetHeader("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || !slices.Contains(types, mt) {
		return nil, nil, fhir.Errorf(fhir.KindUnsupportedMedia, "not-supported", "",
			"Content-Type %q is not supported for $%s; send %s", ct, op.name, strings.Join(types, " or "))
	}
	body, done, err := bodyReader(c)
	if err != nil {
		return nil, nil, err
	}
	return &limitedBody{r: body, limit: limit}, done, nil
}

// limitedBody reads a body up to limit bytes and turns read failures into the errors
// the client is answered with.
type limitedBody struct {
	r        io.Reader
	n, limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	var mbe *http.MaxBytesError
	switch {
	case b.n > b.limit || errors.As(err, &mbe):
		return 0, tooLarge(b.limit)
	case err == nil || err == io.EOF:
		return n, err
	}
	return 0, fhir.Errorf(fhir.KindInvalid, "invalid", "", "the request body could not be read")
}

// fhirParameters is the JSON shape of a FHIR Parameters resource, as far as the feeds'
// reports need it.
type fhirParameters struct {
	ResourceType string          `json:"resourceType"`
	Parameter    []fhirParameter `json:"parameter"`
} // @name Parameters

type fhirParameter struct {
	Name         string          `json:"name"`
	ValueInteger *int64          `json:"valueInteger,omitempty"`
	Resource     *outcome        `json:"resource,omitempty"`
	Part         []fhirParameter `json:"part,omitempty"`
}

// feedCount is one count of a feed's report.
type feedCount struct {
	name string
	n    int64
}

// feedReport is the Parameters a feed answers with: its counts (valueInteger), then one
// error part per line not applied, with the line number and an OperationOutcome made as
// for any error the API answers.
func feedReport(counts []feedCount, errs []programme.LineError) fhirParameters {
	out := fhirParameters{ResourceType: "Parameters", Parameter: make([]fhirParameter, 0, len(counts)+len(errs))}
	for _, c := range counts {
		out.Parameter = append(out.Parameter, fhirParameter{Name: c.name, ValueInteger: &c.n})
	}
	for _, e := range errs {
		oo := outcomeJSON(issuesOf(asFHIRError(e.Err)))
		line := e.Line
		out.Parameter = append(out.Parameter, fhirParameter{Name: "error", Part: []fhirParameter{
			{Name: "line", ValueInteger: &line}, {Name: "outcome", Resource: &oo}}})
	}
	return out
}
