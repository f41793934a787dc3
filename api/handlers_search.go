package api

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// handleSearch serves GET [base]/[type]?params and POST [base]/[type]/_search.
//
// @Summary      Search
// @Description  The live resources of one type matching every parameter ([FHIR search](https://hl7.org/fhir/R4/search.html)), as a searchset Bundle: `entry` (always present) holds the matches (`search.mode` match), then what `_include`/`_revinclude` added (include), then, when the server ignored or questioned part of the request, one OperationOutcome (outcome). `link` self shows the parameters applied; `next`, when there is a next page, carries an opaque `_cursor` that stays correct while writes continue. `total` is present when counted (`_total=accurate`, `_total=estimate`, `_summary=count`).
// @Description  Every parameter of the type is listed in the CapabilityStatement (`GET /fhir/metadata`): all the R4 ones of the programme's resources, `_id`, `_lastUpdated`, `_tag`, `_profile`, `_security`, `_source` everywhere, chains (`patient.identifier=`), `_has`, and the NHS Immunisation API's `-immunization.target`, `-date.from`, `-date.to`. Unknown or unsupported parameters are ignored and reported in the OperationOutcome entry, or are a 400 with `Prefer: handling=strict`. A malformed value is always a 400.
// @Tags         type
// @Param        type              path    string  true   "Any FHIR R4 resource type, e.g. Immunization or Patient"  extensions(x-example=Immunization)
// @Param        _id               query   string  false  "Resource id"
// @Param        identifier        query   string  false  "Business identifier, as system|value, |value or value"
// @Param        patient.identifier  query  string  false  "Immunization: the patient's NHS number, https://fhir.nhs.uk/Id/nhs-number|9000000009"
// @Param        -immunization.target  query  string  false  "Immunization: vaccine types, comma-separated (COVID,FLU)"
// @Param        _count            query   int     false  "Page size: default 50, at most 1000; 0 returns the total only"  default(50)  minimum(0)  maximum(1000)
// @Param        _sort             query   string  false  "Sort keys, comma-separated, - for descending (e.g. -date)"
// @Param        _total            query   string  false  "Whether to count the matches"  Enums(none, estimate, accurate)
// @Param        _summary          query   string  false  "Return a summary: true, text or data subset each resource (tagged SUBSETTED); count returns the total only"  Enums(true, text, data, count, false)
// @Param        _elements         query   string  false  "Top-level elements to return, comma-separated (tagged SUBSETTED)"
// @Param        _include          query   string  false  "Add what the matches refer to: Type:param[:Target] or Type:*; :iterate repeats"
// @Param        _revinclude       query   string  false  "Add what refers to the matches: Type:param[:Target]"
// @Param        _cursor           query   string  false  "Opaque page cursor, from the next link of a previous page"
// @Param        _format           query   string  false  "Response format, overriding Accept"  Enums(json, application/json, application/fhir+json)
// @Param        _pretty           query   bool    false  "Indent the JSON response"
// @Param        Prefer            header  string  false  "handling=strict makes an unknown or unsupported parameter a 400; handling=lenient (the default) ignores it with a warning entry"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirBundle  "Searchset Bundle"
// @Failure      400  {object}  operationOutcome  "A malformed parameter or value, or under Prefer: handling=strict an unknown or unsupported one"
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
// @Router       /fhir/{type} [get]
func (s *Server) handleSearch(c *gin.Context) {
	typ := c.Param("type")
	if typ == "AuditEvent" {
		s.handleAuditSearch(c)
		return
	}
	q, err := s.parseSearch(c, typ)
	if err != nil {
		fail(c, err)
		return
	}
	applied := q.Encode()
	res, err := s.search(c, q, applied)
	if err != nil {
		fail(c, err)
		return
	}
	s.writeSearchset(c, "/"+typ, q, applied, res)
}

// search runs q as the caller may: with its policy's filters, and only the records it may
// see, cut to what it may see of them. applied is the query as the client asked it.
func (s *Server) search(c *gin.Context, q *search.Query, applied url.Values) (store.SearchResult, error) {
	g := s.guardOf(c)
	g.query = q.Type + "?" + applied.Encode()
	if err := g.restrict(q, auth.Search); err != nil {
		return store.SearchResult{}, err
	}
	res, err := s.store.Search(c.Request.Context(), q)
	if err != nil {
		return res, err
	}
	// Later pages show versions as of the first page: not necessarily current.
	if res.Records, err = g.keep(res.Records, auth.Search, q.Cursor == ""); err != nil {
		return res, err
	}
	res.Included, err = g.keep(res.Included, auth.Read, true)
	return res, err
}

// handleCompartmentSearch serves GET [base]/Patient/[id]/[type]?params: a search of type
// limited to the records about one patient (compartment.go).
//
// @Summary      Patient compartment search
// @Description  A search of `{memberType}` limited to the [Patient compartment](https://hl7.org/fhir/R4/compartmentdefinition-patient.html) of Patient `{id}`: the records about that patient (Immunization, Flag, Communication, Observation… by their `patient` or `subject` parameter). It takes the parameters of a search and answers the same searchset Bundle; the patient need not exist (the Bundle is then empty).
// @Tags         instance
// @Param        type              path    string  true   "The compartment: Patient"  Enums(Patient)
// @Param        id                path    string  true   "The patient's id ([A-Za-z0-9-.]{1,64})"
// @Param        memberType        path    string  true   "A resource type of the Patient compartment, e.g. Immunization"  extensions(x-example=Immunization)
// @Param        _count            query   int     false  "Page size: default 50, at most 1000; 0 returns the total only"  default(50)  minimum(0)  maximum(1000)
// @Param        _cursor           query   string  false  "Opaque page cursor, from the next link of a previous page"
// @Param        _format           query   string  false  "Response format, overriding Accept"  Enums(json, application/json, application/fhir+json)
// @Param        _pretty           query   bool    false  "Indent the JSON response"
// @Param        Prefer            header  string  false  "handling=strict makes an unknown or unsupported parameter a 400"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirBundle  "Searchset Bundle"
// @Failure      400  {object}  operationOutcome  "Invalid id, a type outside the Patient compartment, or a malformed parameter"
// @Failure      404  {object}  operationOutcome  "A compartment other than Patient, or not a FHIR R4 resource type"
// @Failure      406  {object}  operationOutcome  "The Accept header or _format asks for a format other than JSON"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Failure      503  {object}  operationOutcome  "The store is unavailable"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      403  {object}  operationOutcome  "The client's scopes or policy do not allow this"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/{type}/{id}/{memberType} [get]
func (s *Server) handleCompartmentSearch(c *gin.Context) {
	compartment, id, typ := c.Param("type"), c.Param("id"), c.Param("memberType")
	inCompartment, err := compartmentFilter(compartment, id, typ)
	if err != nil {
		fail(c, err)
		return
	}
	q, err := s.parseSearch(c, typ)
	if err != nil {
		fail(c, err)
		return
	}
	applied := q.Encode() // the path says the compartment: the links need not repeat it
	q.Filters = append(q.Filters, inCompartment)
	g := s.guardOf(c)
	g.mu.Lock()
	g.note(&g.patients, compartment+"/"+id) // whose records were asked for, even if none came back
	g.mu.Unlock()
	res, err := s.search(c, q, applied)
	g.query = compartment + "/" + id + "/" + g.query
	if err != nil {
		fail(c, err)
		return
	}
	s.writeSearchset(c, "/"+compartment+"/"+id+"/"+typ, q, applied, res)
}

// parseSearch reads and validates the parameters of a search of typ. Handling is lenient
// unless the client sends Prefer: handling=strict
// (https://hl7.org/fhir/R4/search.html#errors). _summary=count asks for a number, so it
// counts accurately unless _total says otherwise.
func (s *Server) parseSearch(c *gin.Context, typ string) (*search.Query, error) {
	params, err := searchParams(c, s.cfg.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	handling := strings.ToLower(preference(c, "handling"))
	if handling == "strict" || handling == "lenient" {
		c.Header("Preference-Applied", "handling="+handling)
	}
	q, err := search.Parse(typ, params, search.ParseOptions{
		Strict:       handling == "strict",
		DefaultCount: defaultCount,
		MaxCount:     maxCount,
	})
	if err != nil {
		return nil, err
	}
	if q.Summary == search.SummaryCount && q.Total == search.TotalNone {
		q.Total = search.TotalAccurate
	}
	return q, nil
}
