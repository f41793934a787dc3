package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/fhir/search"
)

// handleSearch serves GET [base]/[type]?params. Every parameter must be supported: an
// unknown one is a 400, never silently ignored.
//
// @Summary      Search
// @Description  The live resources of one type matching every parameter, as a searchset Bundle in id order, at most `_count` of them. The parameters each type supports are listed in the CapabilityStatement (`GET /fhir/metadata`); `_id` and `identifier` work on every type. A parameter the server does not support is 400, never silently ignored.
// @Tags         type
// @Param        type              path    string  true   "Any FHIR R4 resource type, e.g. Immunization or Patient"  extensions(x-example=Immunization)
// @Param        _id               query   string  false  "Resource id"
// @Param        identifier        query   string  false  "Business identifier, as system|value, |value or value"
// @Param        _count            query   int     false  "Most matches returned: default 50, at most 1000 (0 is treated as 1)"  default(50)  minimum(0)  maximum(1000)
// @Param        _format           query   string  false  "Response format, overriding Accept"  Enums(json, application/json, application/fhir+json)
// @Param        _pretty           query   bool    false  "Indent the JSON response"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirBundle  "Searchset Bundle"
// @Failure      400  {object}  operationOutcome  "Unsupported or invalid search parameter, or invalid _count"
// @Failure      404  {object}  operationOutcome  "Not a FHIR R4 resource type"
// @Failure      406  {object}  operationOutcome  "The Accept header or _format asks for a format other than JSON"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Failure      503  {object}  operationOutcome  "The store is unavailable"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Router       /fhir/{type} [get]
func (s *Server) handleSearch(c *gin.Context) {
	typ := c.Param("type")
	count, err := pageSize(c)
	if err != nil {
		fail(c, err)
		return
	}
	params := c.Request.URL.Query()
	for _, p := range []string{"_format", "_pretty", "_count"} {
		params.Del(p)
	}
	q := &search.Query{Type: typ}
	if len(params) > 0 {
		if q, err = search.ParseCriteria(typ, params.Encode()); err != nil {
			fail(c, err)
			return
		}
	}
	recs, err := s.store.Search(c.Request.Context(), q, count)
	if err != nil {
		fail(c, err)
		return
	}
	base := s.base(c)
	b := bundle{ResourceType: "Bundle", Type: "searchset", Entry: []bundleEntry{}}
	self := base + "/" + typ
	if qs := q.String(); qs != "" {
		self += "?" + qs
	}
	b.Link = []bundleLink{{Relation: "self", URL: self}}
	for _, rec := range recs {
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + rec.Type + "/" + rec.ID, Resource: rec.JSON, Search: &entrySearch{Mode: "match"}})
	}
	writeJSON(c, http.StatusOK, b)
}
