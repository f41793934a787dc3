package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// versionHeaders sets ETag (W/"n"), the NHS API's E-Tag (bare n) and Last-Modified.
func versionHeaders(c *gin.Context, rec store.Record) {
	v := strconv.FormatInt(rec.Version, 10)
	c.Header("ETag", `W/"`+v+`"`)
	c.Header("E-Tag", v)
	c.Header("Last-Modified", rec.LastUpdated.UTC().Format(http.TimeFormat))
}

// writeRecord answers a read or write with the record, honouring Prefer: return=.
func writeRecord(c *gin.Context, status int, rec store.Record) {
	versionHeaders(c, rec)
	switch preferReturn(c) {
	case "minimal":
		c.Status(status)
		c.Writer.WriteHeaderNow()
	case "OperationOutcome":
		writeJSON(c, status, information("The "+rec.Type+" was stored as version "+strconv.FormatInt(rec.Version, 10)+"."))
	default:
		writeRaw(c, status, rec.JSON)
	}
}

// preferReturn reads the return preference of the Prefer header (RFC 7240).
func preferReturn(c *gin.Context) string {
	return preference(c, "return")
}

func preference(c *gin.Context, name string) string {
	for _, h := range c.Request.Header.Values("Prefer") {
		for _, part := range strings.Split(h, ",") {
			for _, kv := range strings.Split(part, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), name) {
					return strings.Trim(strings.TrimSpace(v), `"`)
				}
			}
		}
	}
	return ""
}

// ifMatch reads the expected version from If-Match (W/"n", "n") or the NHS API's E-Tag
// request header (bare n). Zero means no precondition.
func ifMatch(c *gin.Context) (int64, error) {
	raw := c.GetHeader("If-Match")
	header := "If-Match"
	if raw == "" {
		raw, header = c.GetHeader("E-Tag"), "E-Tag"
	}
	return parseVersion(header, raw)
}

// parseVersion reads an expected version given as W/"n", "n" or n (If-Match, E-Tag, a
// Bundle entry's ifMatch); 0 when raw is empty.
func parseVersion(name, raw string) (int64, error) {
	if raw == "" {
		return 0, nil
	}
	v := strings.Trim(strings.TrimPrefix(strings.TrimSpace(raw), "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fhir.Errorf(fhir.KindInvalid, "invalid", "", "%s %q is not a valid version; send W/\"n\" with n a positive version number", name, raw)
	}
	return n, nil
}

// location is the URL of one version of a resource.
func (s *Server) location(c *gin.Context, rec store.Record) string {
	return s.base(c) + "/" + rec.Type + "/" + rec.ID + "/_history/" + strconv.FormatInt(rec.Version, 10)
}

// writeSearchset answers a search with the searchset Bundle of one page.
func (s *Server) writeSearchset(c *gin.Context, path string, q *search.Query, applied url.Values, res store.SearchResult) {
	b, err := searchset(s.base(c), path, applied, q, res, s.guardOf(c).issues())
	if err != nil {
		fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, b)
}
