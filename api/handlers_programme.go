package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/programme"
)

// The programme's feeds over HTTP: synchronous operations that stream the body into the
// programme package and answer its report. They are the HTTP face of nims feed.

// handleDemographicsFeed serves POST [base]/Patient/$demographics-feed.
//
// @Summary      Apply the demographic feed ($demographics-feed on Patient)
// @Description  Applies the nightly PDS delta, synchronously: FHIR NDJSON, one Patient per line, each the whole current record of a person keyed by NHS number. A new number is created; a known one is replaced by the record sent, keeping what only NIMS holds (ethnicity, links, superseded numbers); a death stops the person's invitations not yet sent; a record whose `link` says it `replaces` an old NHS number retires the old Patient and moves the person's records to the new one. A line that changes nothing writes nothing, so a feed sent twice is harmless.
// @Description  The body is streamed (never held whole), optionally gzipped, up to the import size limit (10 GiB by default). The answer is a `Parameters` resource: `created`, `updated`, `unchanged`, `superseded`, `died`, `stopped` (invitations stopped) and `failed` (valueInteger), then one `error` part per line not applied (the first 1000), with `line` (valueInteger) and `outcome` (an OperationOutcome). An error that stops the feed (413, a store failure) comes after the lines before it were applied.
// @Description  Only on Patient (404 on any other type). The client needs create and update access to Patient and update access to Communication, Flag and Immunization, none limited by vaccine type: loader, programme and admin clients have it.
// @Tags         operations
// @Accept       application/fhir+ndjson,application/ndjson
// @Param        type              path    string  true   "Patient"  Enums(Patient)
// @Param        body              body    string  true   "FHIR NDJSON: one Patient per line"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirParameters    "The feed's report"
// @Failure      400  {object}  operationOutcome  "A line longer than 1 MiB, or a body that cannot be read"
// @Failure      404  {object}  operationOutcome  "A type other than Patient"
// @Failure      413  {object}  operationOutcome  "Body larger than the limit (after decompression)"
// @Failure      415  {object}  operationOutcome  "Content-Type other than NDJSON, or Content-Encoding other than gzip"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Failure      503  {object}  operationOutcome  "The store is unavailable"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      403  {object}  operationOutcome  "The client may not create and update Patients, or update Communications, Flags and Immunizations"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/{type}/$demographics-feed [post]
func (s *Server) handleDemographicsFeed(c *gin.Context) {
	op := typeOperations[IDemographicsFeed]
	body, done, err := feedBody(c, op, s.cfg.MaxImportBytes, mimeNDJSON)
	if err != nil {
		fail(c, err)
		return
	}
	defer done()
	s.auditOperation(c, op, nil)
	rep, err := programme.ApplyDemographics(c.Request.Context(), s.store, body, programme.FeedOptions{})
	if err != nil {
		fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, feedReport([]feedCount{{"created", rep.Created}, {"updated", rep.Updated},
		{"unchanged", rep.Unchanged}, {"superseded", rep.Superseded}, {"died", rep.Died}, {"stopped", rep.Stopped},
		{"failed", rep.Failed}}, rep.Errors))
}

// handleEthnicityFeed serves POST [base]/Patient/$ethnicity-feed.
//
// @Summary      Apply an ethnicity feed ($ethnicity-feed on Patient)
// @Description  Sets the UK Core ethnic category of the people named, synchronously, from a GP systems' feed: lines `NHS number,ethnic category` (or pipe-separated; a header line is skipped), the code from the NHS Data Dictionary's ETHNIC CATEGORY (A–Z, 99). The demographic feed keeps it. A line that changes nothing writes nothing.
// @Description  The body is streamed, optionally gzipped, up to the import size limit. The answer is a `Parameters` resource: `updated`, `unchanged`, `unmatched` (NHS numbers NIMS does not hold) and `failed` (valueInteger), then one `error` part per line not applied (the first 1000), with `line` and `outcome` (an OperationOutcome).
// @Description  Only on Patient (404 on any other type). The client needs update access to Patient: loader, programme and admin clients have it.
// @Tags         operations
// @Accept       text/csv,plain
// @Param        type              path    string  true   "Patient"  Enums(Patient)
// @Param        body              body    string  true   "CSV: NHS number,ethnic category"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirParameters    "The feed's report"
// @Failure      400  {object}  operationOutcome  "A line longer than 64 KiB, or a body that cannot be read"
// @Failure      404  {object}  operationOutcome  "A type other than Patient"
// @Failure      413  {object}  operationOutcome  "Body larger than the limit (after decompression)"
// @Failure      415  {object}  operationOutcome  "Content-Type other than text/csv or text/plain, or Content-Encoding other than gzip"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Failure      503  {object}  operationOutcome  "The store is unavailable"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      403  {object}  operationOutcome  "The client may not update Patients"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/{type}/$ethnicity-feed [post]
func (s *Server) handleEthnicityFeed(c *gin.Context) {
	op := typeOperations[IEthnicityFeed]
	body, done, err := feedBody(c, op, s.cfg.MaxImportBytes, mimeCSV)
	if err != nil {
		fail(c, err)
		return
	}
	defer done()
	s.auditOperation(c, op, nil)
	rep, err := programme.ApplyEthnicity(c.Request.Context(), s.store, body)
	if err != nil {
		fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, feedReport([]feedCount{{"updated", rep.Updated}, {"unchanged", rep.Unchanged},
		{"unmatched", rep.Unmatched}, {"failed", rep.Failed}}, rep.Errors))
}

// handlePriorityList serves POST [base]/Flag/$priority-list.
//
// @Summary      Load a priority group's list ($priority-list on Flag)
// @Description  Loads a new version of a priority group's list, synchronously: one active Flag per person on it (`identifier` `https://nims.example/Id/priority-group-flag|{code}-{NHS number}`, category and code as given, subject the Patient when NIMS holds the person, else their NHS number). People newly on the list are flagged; the group's active Flags of people no longer on it are ended (status `inactive`, `period.end` today), never deleted. The same list twice writes nothing.
// @Description  The body is the list: one NHS number per line (a header line, blank lines and anything after a comma or pipe are ignored, so a CSV whose first column is the number serves), optionally gzipped. The answer is a `Parameters` resource: `listed` (valid numbers, without repeats), `flagged` (Flags created), `kept` (already flagged), `ended`, `unmatched` (numbers of people NIMS does not hold, flagged by NHS number) and `failed` (valueInteger), then one `error` part per line not applied (the first 1000), with `line` and `outcome` (an OperationOutcome).
// @Description  Only on Flag (404 on any other type). The client needs create and update access to Flag: loader, programme and admin clients have it.
// @Tags         operations
// @Accept       text/csv,plain
// @Param        type              path    string  true   "Flag"  Enums(Flag)
// @Param        code              query   string  true   "SNOMED CT code of the group (Flag.code), e.g. 77386006"
// @Param        category          query   string  true   "The Flag category"  Enums(clinical-risk, pregnant, shielded, health-care-worker, social-care-worker, care-home-resident, care-home-worker, unpaid-carer, other)
// @Param        start             query   string  true   "Start of the list's period, YYYY-MM-DD"
// @Param        end               query   string  false  "End of the list's period, YYYY-MM-DD"
// @Param        display           query   string  false  "Display of the code"
// @Param        body              body    string  true   "One NHS number per line"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirParameters    "The list's report"
// @Failure      400  {object}  operationOutcome  "A missing or invalid code, category, start or end; a line longer than 64 KiB, or a body that cannot be read"
// @Failure      404  {object}  operationOutcome  "A type other than Flag"
// @Failure      413  {object}  operationOutcome  "Body larger than the limit (after decompression)"
// @Failure      415  {object}  operationOutcome  "Content-Type other than text/csv or text/plain, or Content-Encoding other than gzip"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Failure      503  {object}  operationOutcome  "The store is unavailable"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      403  {object}  operationOutcome  "The client may not create and update Flags"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/{type}/$priority-list [post]
func (s *Server) handlePriorityList(c *gin.Context) {
	op := typeOperations[IPriorityList]
	list, err := priorityList(c)
	if err != nil {
		fail(c, err)
		return
	}
	body, done, err := feedBody(c, op, s.cfg.MaxImportBytes, mimeCSV)
	if err != nil {
		fail(c, err)
		return
	}
	defer done()
	s.auditOperation(c, op, url.Values{"code": {list.Code}, "category": {list.Category}, "start": {c.Query("start")}, "end": {c.Query("end")}})
	rep, err := programme.ApplyPriorityList(c.Request.Context(), s.store, list, body, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, feedReport([]feedCount{{"listed", rep.Listed}, {"flagged", rep.Flagged}, {"kept", rep.Kept},
		{"ended", rep.Ended}, {"unmatched", rep.Unmatched}, {"failed", rep.Failed}}, rep.Errors))
}

// priorityList reads the list's description from the query. ApplyPriorityList checks it
// before it reads the body: a missing start, a bad code or category is a 400 there.
func priorityList(c *gin.Context) (programme.PriorityList, error) {
	list := programme.PriorityList{Code: c.Query("code"), Category: c.Query("category"), Display: c.Query("display")}
	for _, d := range []struct {
		name string
		to   *time.Time
	}{{"start", &list.Start}, {"end", &list.End}} {
		v := c.Query(d.name)
		if v == "" {
			continue // a missing start is refused by the programme's check
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return list, fhir.Errorf(fhir.KindInvalid, "invalid", "", "the %s of the list's period, %q, is not a date (YYYY-MM-DD)", d.name, v)
		}
		*d.to = t
	}
	return list, nil
}

// auditOperation names the operation in the request's audit event, with the parameters
// given (never patient data): a feed's records are too many to list, and each write is
// in the store's history.
func (s *Server) auditOperation(c *gin.Context, op typeOperation, params url.Values) {
	q := "$" + op.name
	for k, vs := range params {
		if len(vs) == 0 || vs[0] == "" {
			delete(params, k)
		}
	}
	if len(params) > 0 {
		q += "?" + params.Encode()
	}
	g := s.guardOf(c)
	g.mu.Lock()
	g.query = q
	g.mu.Unlock()
}
