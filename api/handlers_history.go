package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

const (
	defaultCount = 50
	maxCount     = 1000
)

// handleHistory serves instance, type and system history: newest first, paged by an
// opaque cursor that stays correct while writes continue.
//
// @Summary      Instance history
// @Description  The versions of one resource, newest first, as a history Bundle (empty for an id never written). Each entry records the interaction that made the version (POST, PUT or DELETE) and its outcome.
// @Description  Pages hold `_count` entries; follow the `next` link, whose `_cursor` stays correct while writes continue. System and type history, served by the same handler, are annotated in docs.go.
// @Tags         instance
// @Param        type              path    string  true   "Any FHIR R4 resource type, e.g. Immunization or Patient"  extensions(x-example=Immunization)
// @Param        id                path    string  true   "Resource id ([A-Za-z0-9-.]{1,64})"
// @Param        _count            query   int     false  "Page size: default 50, at most 1000 (0 is treated as 1)"  default(50)  minimum(0)  maximum(1000)
// @Param        _since            query   string  false  "Only versions written at or after this instant, e.g. 2024-01-31T09:00:00Z"
// @Param        _cursor           query   string  false  "Opaque page cursor, from the next link of a previous page"
// @Param        _format           query   string  false  "Response format, overriding Accept"  Enums(json, application/json, application/fhir+json)
// @Param        _pretty           query   bool    false  "Indent the JSON response"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirBundle  "Bundle of type history"
// @Failure      400  {object}  operationOutcome  "Invalid id, _count, _since or _cursor"
// @Failure      404  {object}  operationOutcome  "Not a FHIR R4 resource type"
// @Failure      406  {object}  operationOutcome  "The Accept header or _format asks for a format other than JSON"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Failure      503  {object}  operationOutcome  "The store is unavailable"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      403  {object}  operationOutcome  "The client's scopes or policy do not allow this"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/{type}/{id}/_history [get]
func (s *Server) handleHistory(c *gin.Context) {
	q := store.HistoryQuery{Type: c.Param("type"), ID: c.Param("id"), Cursor: c.Query("_cursor")}
	var err error
	if q.Count, err = pageSize(c); err != nil {
		fail(c, err)
		return
	}
	if since := c.Query("_since"); since != "" {
		if q.Since, err = parseInstant("_since", since); err != nil {
			fail(c, err)
			return
		}
	}
	page, err := s.store.History(c.Request.Context(), q)
	if err != nil {
		fail(c, err)
		return
	}
	g := s.guardOf(c)
	recs, err := g.keep(page.Records, auth.Read, false)
	if err != nil {
		fail(c, err)
		return
	}
	base := s.base(c)
	b := bundle{ResourceType: "Bundle", Type: "history", Entry: []bundleEntry{}}
	for _, rec := range recs {
		b.Entry = append(b.Entry, historyEntry(base, rec))
	}
	self := base + historyPath(q)
	params := url.Values{"_count": {strconv.Itoa(q.Count)}}
	if !q.Since.IsZero() {
		params.Set("_since", fhir.FormatInstant(q.Since))
	}
	b.Link = []bundleLink{{Relation: "self", URL: self + "?" + withCursor(params, q.Cursor)}}
	if page.Next != "" {
		b.Link = append(b.Link, bundleLink{Relation: "next", URL: self + "?" + withCursor(params, page.Next)})
	}
	writeJSON(c, http.StatusOK, b)
}

func historyPath(q store.HistoryQuery) string {
	switch {
	case q.ID != "":
		return "/" + q.Type + "/" + q.ID + "/_history"
	case q.Type != "":
		return "/" + q.Type + "/_history"
	}
	return "/_history"
}

func withCursor(v url.Values, cursor string) string {
	out := url.Values{}
	for k, vs := range v {
		out[k] = vs
	}
	if cursor != "" {
		out.Set("_cursor", cursor)
	}
	return linkQuery(out)
}

// pageSize reads _count: default 50, at most 1000.
func pageSize(c *gin.Context) (int, error) {
	raw := c.Query("_count")
	if raw == "" {
		return defaultCount, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, fhir.Errorf(fhir.KindInvalid, "invalid", "", "_count %q is not a non-negative integer", raw)
	}
	if n == 0 {
		n = 1
	}
	return min(n, maxCount), nil
}

// parseInstant reads a FHIR instant (or a dateTime with a zone; a date alone is midnight
// UTC) from a parameter, truncated to the millisecond: the store's clock has no finer
// grain, and links carry the value back at that precision.
func parseInstant(name, raw string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, raw); err == nil {
			return t.Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, fhir.Errorf(fhir.KindInvalid, "invalid", "", "%s %q is not an instant (e.g. 2024-01-31T09:00:00Z)", name, raw)
}
