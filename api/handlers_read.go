package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// handleRead serves GET [base]/[type]/[id]. A deleted resource is 410 Gone; If-None-Match
// with the current version is 304.
//
// @Summary      Read
// @Description  The current version of the resource, with its version headers. `If-None-Match` with the current ETag is 304 without a body. A deleted resource is 410, with the version headers of the deletion.
// @Tags         instance
// @Param        type              path    string  true   "Any FHIR R4 resource type, e.g. Immunization or Patient"  extensions(x-example=Immunization)
// @Param        id                path    string  true   "Resource id ([A-Za-z0-9-.]{1,64})"
// @Param        If-None-Match     header  string  false  "An ETag the client holds; 304 when it is the current version"
// @Param        _format           query   string  false  "Response format, overriding Accept"  Enums(json, application/json, application/fhir+json)
// @Param        _pretty           query   bool    false  "Indent the JSON response"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirResource  "The resource"
// @Success      304  "Not modified: If-None-Match is the current version"
// @Failure      400  {object}  operationOutcome  "Invalid id"
// @Failure      404  {object}  operationOutcome  "Not a FHIR R4 resource type, or no such resource"
// @Failure      406  {object}  operationOutcome  "The Accept header or _format asks for a format other than JSON"
// @Failure      410  {object}  operationOutcome  "The resource has been deleted"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Failure      503  {object}  operationOutcome  "The store is unavailable"
// @Header       200,304,410  {string}  ETag           "W/"n", n the id of the version"
// @Header       200,304,410  {string}  E-Tag          "n, the id of the version (NHS APIs)"
// @Header       200,304,410  {string}  Last-Modified  "When the version was written"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      403  {object}  operationOutcome  "The client's scopes or policy do not allow this"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/{type}/{id} [get]
func (s *Server) handleRead(c *gin.Context) {
	if c.Param("type") == "AuditEvent" {
		s.handleAuditRead(c)
		return
	}
	rec, err := s.store.Read(c.Request.Context(), c.Param("type"), c.Param("id"))
	if err != nil {
		readFailed(c, rec, err)
		return
	}
	js, ok := s.readable(c, rec, true)
	if !ok {
		return
	}
	if notModified(c, rec) {
		versionHeaders(c, rec)
		c.Status(http.StatusNotModified)
		return
	}
	versionHeaders(c, rec)
	writeRaw(c, http.StatusOK, js)
}

// readable applies the caller's policy to a record it asked for by id: 403 when it may
// not see it, else the JSON cut to what it may see. It notes the record for the audit.
func (s *Server) readable(c *gin.Context, rec store.Record, current bool) ([]byte, bool) {
	g := s.guardOf(c)
	if !g.visible(rec, auth.Read) {
		fail(c, forbidden("this client is not authorised to read this %s", rec.Type))
		return nil, false
	}
	js, err := g.shape(rec, current)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	g.touched(rec)
	return js, true
}

// handleVRead serves GET [base]/[type]/[id]/_history/[vid].
//
// @Summary      Version read (vread)
// @Description  One version of the resource, with its version headers. A version that is a deletion is 410.
// @Tags         instance
// @Param        type              path    string  true   "Any FHIR R4 resource type, e.g. Immunization or Patient"  extensions(x-example=Immunization)
// @Param        id                path    string  true   "Resource id ([A-Za-z0-9-.]{1,64})"
// @Param        vid               path    int     true   "Version id (1, 2, ...)"  minimum(1)
// @Param        _format           query   string  false  "Response format, overriding Accept"  Enums(json, application/json, application/fhir+json)
// @Param        _pretty           query   bool    false  "Indent the JSON response"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirResource  "The resource as it was at that version"
// @Failure      400  {object}  operationOutcome  "Invalid id or version id"
// @Failure      404  {object}  operationOutcome  "Not a FHIR R4 resource type, or no such version"
// @Failure      406  {object}  operationOutcome  "The Accept header or _format asks for a format other than JSON"
// @Failure      410  {object}  operationOutcome  "This version is a deletion"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Failure      503  {object}  operationOutcome  "The store is unavailable"
// @Header       200,410  {string}  ETag           "W/"n", n the id of the version"
// @Header       200,410  {string}  E-Tag          "n, the id of the version (NHS APIs)"
// @Header       200,410  {string}  Last-Modified  "When the version was written"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      403  {object}  operationOutcome  "The client's scopes or policy do not allow this"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/{type}/{id}/_history/{vid} [get]
func (s *Server) handleVRead(c *gin.Context) {
	vid, err := strconv.ParseInt(c.Param("vid"), 10, 64)
	if err != nil || vid <= 0 {
		fail(c, fhir.Errorf(fhir.KindInvalid, "invalid", "", "%q is not a valid version id", c.Param("vid")))
		return
	}
	rec, err := s.store.VRead(c.Request.Context(), c.Param("type"), c.Param("id"), vid)
	if err != nil {
		readFailed(c, rec, err)
		return
	}
	js, ok := s.readable(c, rec, false)
	if !ok {
		return
	}
	versionHeaders(c, rec)
	writeRaw(c, http.StatusOK, js)
}

// readFailed answers a failed read. For a deleted resource the version headers of the
// deletion are sent with the 410, as the spec suggests.
func readFailed(c *gin.Context, rec store.Record, err error) {
	switch fhir.KindOf(err) {
	case fhir.KindGone:
		if rec.Version > 0 {
			versionHeaders(c, rec)
		}
		fail(c, fhir.Errorf(fhir.KindGone, "deleted", "", "%s/%s has been deleted", c.Param("type"), c.Param("id")))
	case fhir.KindNotFound:
		fail(c, fhir.Errorf(fhir.KindNotFound, "not-found", "", "%s resource does not exist. ID: %s", c.Param("type"), c.Param("id")))
	default:
		fail(c, err)
	}
}

// notModified evaluates a conditional read: If-None-Match (a list of weak or strong ETags,
// or *) wins over If-Modified-Since, as RFC 9110 orders them.
func notModified(c *gin.Context, rec store.Record) bool {
	if inm := c.GetHeader("If-None-Match"); inm != "" {
		v := strconv.FormatInt(rec.Version, 10)
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == "*" || tag == `"`+v+`"` {
				return true
			}
		}
		return false
	}
	if ims := c.GetHeader("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		return err == nil && !rec.LastUpdated.Truncate(time.Second).After(t)
	}
	return false
}
