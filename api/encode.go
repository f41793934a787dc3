package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/fhir"
)

// All request bodies are read and all responses written here.

const (
	mimeFHIRJSON = "application/fhir+json"
	mimeJSON     = "application/json"
	mimeForm     = "application/x-www-form-urlencoded"
)

// readBody returns the request body, gunzipped if the client sent it compressed, refusing
// more than limit bytes (after decompression, so a zip bomb is refused too) and media
// types other than FHIR JSON.
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != mimeFHIRJSON && mt != mimeJSON) {
			return nil, fhir.Errorf(fhir.KindUnsupportedMedia, "not-supported", "",
				"Content-Type %q is not supported; send application/fhir+json (XML is not supported)", ct)
		}
	}
	body, err := readLimited(c, limit)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fhir.Errorf(fhir.KindInvalid, "required", "", "the request has no body; a FHIR resource is required")
	}
	return body, nil
}

// bodyReader returns the body, gunzipped when Content-Encoding says so; done releases
// the decompressor.
func bodyReader(c *gin.Context) (r io.Reader, done func(), err error) {
	switch enc := strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding"))); enc {
	case "", "identity":
		return c.Request.Body, func() {}, nil
	case "gzip":
		zr, err := gzip.NewReader(c.Request.Body) // limitBody bounds the compressed bytes
		if err != nil {
			return nil, nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "the gzip-encoded body could not be read")
		}
		return zr, func() { zr.Close() }, nil
	default:
		return nil, nil, fhir.Errorf(fhir.KindUnsupportedMedia, "not-supported", "", "Content-Encoding %q is not supported; use gzip or none", enc)
	}
}

// readLimited reads the body, gunzipped when Content-Encoding says so, refusing more than
// limit bytes after decompression.
func readLimited(c *gin.Context, limit int64) ([]byte, error) {
	r, done, err := bodyReader(c)
	if err != nil {
		return nil, err
	}
	defer done()
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
		}
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "the request body could not be read")
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return body, nil
}

// searchParams returns the parameters of a search: the query string and, for POST
// [type]/_search, the application/x-www-form-urlencoded body too
// (https://hl7.org/fhir/R4/http.html#search). A malformed query string is a 400, not
// silently cut short, as url.Values would do.
func searchParams(c *gin.Context, limit int64) (url.Values, error) {
	params, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "the query string is malformed: %s", err.Error())
	}
	if c.Request.Method != http.MethodPost {
		return params, nil
	}
	if ct := c.GetHeader("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != mimeForm {
			return nil, fhir.Errorf(fhir.KindUnsupportedMedia, "not-supported", "",
				"Content-Type %q is not supported for _search; send the parameters as %s", ct, mimeForm)
		}
	}
	body, err := readLimited(c, limit)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(bytes.TrimSpace(body)))
	if err != nil {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "", "the form body is malformed: %s", err.Error())
	}
	for k, vs := range form {
		params[k] = append(params[k], vs...)
	}
	return params, nil
}

func tooLarge(limit int64) error {
	return fhir.Errorf(fhir.KindTooLarge, "too-long", "", "the request body is larger than the limit of %d bytes", limit)
}

// decodeResource reads the body as a resource of the type named in the URL.
func decodeResource(c *gin.Context, limit int64, typ string) (*fhir.Resource, error) {
	body, err := readBody(c, limit)
	if err != nil {
		return nil, err
	}
	r, err := fhir.Decode(body)
	if err != nil {
		return nil, err
	}
	if r.Type != typ {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "resourceType",
			"resourceType %q does not match the type %q in the URL", r.Type, typ)
	}
	return r, nil
}

// negotiate checks that the client accepts FHIR JSON (Accept or _format). XML is refused
// with 406: the CapabilityStatement lists JSON only.
func negotiate(c *gin.Context) error {
	if f := c.Query("_format"); f != "" {
		switch f {
		case "json", mimeJSON, mimeFHIRJSON:
			return nil
		}
		return fhir.Errorf(fhir.KindNotAcceptable, "not-supported", "", "_format %q is not supported; this server speaks application/fhir+json only", f)
	}
	accept := c.GetHeader("Accept")
	if accept == "" {
		return nil
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if q, perr := strconv.ParseFloat(params["q"], 64); err != nil || (perr == nil && q <= 0) {
			continue
		}
		switch mt {
		case mimeFHIRJSON, mimeJSON, "*/*", "application/*", "application/json+fhir":
			return nil
		}
	}
	return fhir.Errorf(fhir.KindNotAcceptable, "not-supported", "", "none of the types in Accept can be produced; this server speaks application/fhir+json only (no XML)")
}

// contentType is application/json when that is what the client asked for, else FHIR JSON.
func contentType(c *gin.Context) string {
	if c.Query("_format") == mimeJSON || strings.HasPrefix(c.GetHeader("Accept"), mimeJSON) {
		return mimeJSON + "; charset=utf-8"
	}
	return mimeFHIRJSON + "; charset=utf-8"
}

// writeRaw writes an already encoded FHIR JSON document.
func writeRaw(c *gin.Context, status int, body []byte) {
	if pretty(c) {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	c.Header("Content-Type", contentType(c))
	if c.Request.Method == http.MethodHead {
		c.Status(status)
		return
	}
	c.Status(status)
	writeBody(c, body)
}

// writeJSON encodes v and writes it.
func writeJSON(c *gin.Context, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		logFrom(c).Error("encoding a response failed", "cause", err.Error())
		c.Status(http.StatusInternalServerError)
		return
	}
	writeRaw(c, status, body)
}

// marshal encodes v as compact JSON, leaving <, > and & as they are.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func pretty(c *gin.Context) bool {
	p, _ := strconv.ParseBool(c.Query("_pretty"))
	return p
}

// gzipMin is the smallest body worth compressing: below about one packet, gzip costs
// more CPU than it saves bytes.
const gzipMin = 1400

var gzipPool = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

// writeBody writes body, gzipped when the client accepts gzip and the body is large.
func writeBody(c *gin.Context, body []byte) {
	if len(body) < gzipMin || !acceptsGzip(c.GetHeader("Accept-Encoding")) {
		c.Header("Content-Length", strconv.Itoa(len(body)))
		_, _ = c.Writer.Write(body)
		return
	}
	c.Header("Content-Encoding", "gzip")
	c.Header("Vary", "Accept-Encoding")
	zw := gzipPool.Get().(*gzip.Writer)
	zw.Reset(c.Writer)
	_, _ = zw.Write(body)
	_ = zw.Close()
	gzipPool.Put(zw)
}

// acceptsGzip reads Accept-Encoding with its weights: "gzip;q=0" refuses gzip.
func acceptsGzip(header string) bool {
	ok := false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := 1.0
		if k, v, found := strings.Cut(strings.TrimSpace(params), "="); found && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		if name == "gzip" {
			return q > 0
		}
		ok = q > 0
	}
	return ok
}
