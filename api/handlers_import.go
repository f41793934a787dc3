package api

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/bulk"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// $import, asynchronously (Bulk Data's async pattern, reference/nhs-england.md §4, as
// HAPI and the Bulk Data Import proposal use it for $import): the kick-off stores a job
// and answers 202 with the status URL [base]/$import-poll-status?_jobId=<id> in
// Content-Location; a bulk.Runner (started by nims serve) does the work.

// importDefinition is the canonical URL the CapabilityStatement gives $import under: HL7
// has published none (the Bulk Data Import proposal is not part of the IG), so, like
// other servers, NIMS names its own.
const importDefinition = "http://nims.nhs.example/fhir/OperationDefinition/import"

// retryAfter is the Retry-After of a status answer while the job runs, in seconds.
const retryAfter = "5"

// mimeNDJSON are the media types of an NDJSON body.
var mimeNDJSON = []string{"application/fhir+ndjson", "application/ndjson", "application/x-ndjson", "ndjson"}

// handleImport serves POST [base]/$import: an NDJSON body, or a Parameters naming inputs
// by URL.
//
// @Summary      Import NDJSON, asynchronously ($import kick-off)
// @Description  Loads FHIR NDJSON (one resource per line, any types) as a job, with the [Bulk Data asynchronous pattern](https://hl7.org/fhir/uv/bulkdata/export.html#bulk-data-kick-off-request): `Prefer: respond-async` is required, and the answer is 202 with the status URL in `Content-Location` (`[base]/$import-poll-status?_jobId={id}`).
// @Description  The body is either the NDJSON itself (`Content-Type: application/fhir+ndjson` or `application/ndjson`, optionally gzipped, up to the import size limit, 10 GiB by default), or a `Parameters` resource as in the Bulk Data Import proposal and HAPI: `inputFormat` `application/fhir+ndjson` and one `input` part per file, with `type` (the resource type of its lines) and `url`. A URL must be under one of the server's import sources (`nims serve --import-sources`); any other is 400, and with no sources configured URL inputs are refused.
// @Description  Each resource is an upsert by its id (a resource without an id gets one derived from the job, line and input, so a job resumed after a crash writes nothing twice); unchanged resources are not written again. Bad lines are reported in the job's result with their line numbers while the good ones load. The client needs create and update access, unrestricted by vaccine type, to every type imported (the types of the lines, or the declared types of URL inputs): loader, programme and admin clients have it.
// @Tags         operations
// @Accept       application/fhir+ndjson,application/ndjson,application/fhir+json
// @Param        Prefer            header  string  true   "respond-async (required)"
// @Param        body              body    string  true   "NDJSON, or a Parameters resource with input parts"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      202  {object}  operationOutcome  "Accepted: poll the URL in Content-Location"
// @Failure      400  {object}  operationOutcome  "No Prefer: respond-async, no resources, a malformed Parameters, or a URL input not under the import sources"
// @Failure      413  {object}  operationOutcome  "Body larger than the limit (after decompression)"
// @Failure      415  {object}  operationOutcome  "Content-Type other than NDJSON or FHIR JSON"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Failure      501  {object}  operationOutcome  "This server was started without a jobs directory"
// @Header       202  {string}  Content-Location  "The status URL: [base]/$import-poll-status?_jobId={id}"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      403  {object}  operationOutcome  "The client may not create and update resources of a type imported"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/$import [post]
func (s *Server) handleImport(c *gin.Context) {
	if !preferAsync(c) {
		fail(c, fhir.Errorf(fhir.KindInvalid, "invalid", "", "$import runs asynchronously: send the header Prefer: respond-async"))
		return
	}
	if s.cfg.JobsDir == "" {
		fail(c, fhir.Errorf(fhir.KindNotImplemented, "not-supported", "", "$import is not enabled on this server"))
		return
	}
	id := newID()
	req, err := s.importRequest(c, id)
	if err == nil {
		err = s.importable(c, req.Types)
	}
	if err == nil {
		req.Request = s.base(c) + "/$import"
		err = s.queueImport(c, id, req)
	}
	if err != nil {
		_ = bulk.RemoveJobFiles(s.cfg.JobsDir, id)
		fail(c, err)
		return
	}
	c.Header("Content-Location", s.base(c)+"/$import-poll-status?_jobId="+id)
	writeJSON(c, http.StatusAccepted, information("The import was accepted as job "+id+": poll the URL in Content-Location for its progress and its report."))
}

// importRequest reads the kick-off's body by its media type.
func (s *Server) importRequest(c *gin.Context, id string) (bulk.ImportRequest, error) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch {
	case err == nil && slices.Contains(mimeNDJSON, mt):
		return receiveNDJSON(c, bulk.InputDir(s.cfg.JobsDir, id), s.cfg.MaxImportBytes)
	case c.GetHeader("Content-Type") == "" || err == nil && (mt == mimeFHIRJSON || mt == mimeJSON):
		return importParameters(c, s.cfg.MaxBodyBytes, bulk.Sources(s.cfg.ImportSources))
	}
	return bulk.ImportRequest{}, fhir.Errorf(fhir.KindUnsupportedMedia, "not-supported", "",
		"Content-Type %q is not supported for $import; send application/fhir+ndjson, or a Parameters resource as application/fhir+json", c.GetHeader("Content-Type"))
}

// importable checks that the caller may create and update resources of every type, with
// no granular restriction: a bulk load cannot check each line against one.
func (s *Server) importable(c *gin.Context, types []string) error {
	p := principal(c)
	a := routeAccess[IImport]
	for _, t := range types {
		if !p.Can(t, a) {
			return forbidden("this client is not authorised to import %s resources (it needs to create and update them)", t)
		}
		if _, unrestricted := p.Scopes.Granular(t, a); !unrestricted {
			return forbidden("this client's access to %s resources is limited (by vaccine type), which a bulk import cannot check line by line: write them one by one instead", t)
		}
	}
	g := s.guardOf(c)
	g.mu.Lock()
	g.query = "_type=" + strings.Join(types, ",")
	g.mu.Unlock()
	return nil
}

func (s *Server) queueImport(c *gin.Context, id string, req bulk.ImportRequest) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fhir.Wrap("api.import", err)
	}
	_, err = s.store.CreateJob(c.Request.Context(), store.Job{ID: id, Kind: bulk.KindImport, Client: principal(c).ClientID, Request: body})
	return err
}

// preferAsync reports whether the request has Prefer: respond-async.
func preferAsync(c *gin.Context) bool {
	for _, h := range c.Request.Header.Values("Prefer") {
		for _, part := range strings.FieldsFunc(h, func(r rune) bool { return r == ',' || r == ';' }) {
			if strings.EqualFold(strings.TrimSpace(part), "respond-async") {
				return true
			}
		}
	}
	return false
}

// handleImportStatus serves GET [base]/$import-poll-status?_jobId={id}.
//
// @Summary      Status of an import ($import-poll-status)
// @Description  While the job is queued or running: 202 with `X-Progress` (e.g. `41% (123,456 resources)`) and `Retry-After`. When it completed: 200 with a JSON report in the shape of a Bulk Data manifest: `transactionTime` (when it ended), `request`, `output` (one entry per resource type: `count` written or unchanged, `loaded`, `unchanged`, `failed`), and `error` (one entry per line that failed: `input` (its URL, or `request body`), `line`, and an `outcome` OperationOutcome), with the totals in `extension`. When it failed: 500 with an OperationOutcome saying why. A cancelled or unknown job is 404, and so is another client's (only the client that started a job, or an admin, may see it).
// @Tags         operations
// @Param        _jobId            query   string  true   "The job id, from the kick-off's Content-Location"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  importReport      "Completed: the report"
// @Success      202  {object}  operationOutcome  "Queued or running"
// @Failure      400  {object}  operationOutcome  "No _jobId"
// @Failure      404  {object}  operationOutcome  "No such job for this client, or cancelled"
// @Failure      500  {object}  operationOutcome  "The job failed: the OperationOutcome says why"
// @Header       202  {string}  X-Progress   "How far the job is"
// @Header       202  {string}  Retry-After  "Seconds to wait before polling again"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/$import-poll-status [get]
func (s *Server) handleImportStatus(c *gin.Context) {
	j, err := s.ownJob(c, bulk.KindImport)
	if err != nil {
		fail(c, err)
		return
	}
	switch j.State {
	case store.JobQueued, store.JobRunning:
		c.Header("X-Progress", progressText(j))
		c.Header("Retry-After", retryAfter)
		writeJSON(c, http.StatusAccepted, information("The import is "+string(j.State)+": "+progressText(j)+"."))
	case store.JobCompleted:
		writeReport(c, j)
	default: // failed; cancelled ones are not found
		writeJSON(c, http.StatusInternalServerError, outcomeJSON([]fhir.Issue{{Severity: fhir.SeverityError, Code: "exception",
			Diagnostics: "The import failed: " + j.Error}}))
	}
}

// handleImportCancel serves DELETE [base]/$import-poll-status?_jobId={id}.
//
// @Summary      Cancel an import
// @Description  Cancels the job (202): a queued job never starts, a running one stops within its lease renewal interval, keeping what it has loaded. Its status URL then answers 404. Only the client that started the job, or an admin, may cancel it.
// @Tags         operations
// @Param        _jobId            query   string  true   "The job id, from the kick-off's Content-Location"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      202  {object}  operationOutcome  "Cancelled"
// @Failure      400  {object}  operationOutcome  "No _jobId"
// @Failure      404  {object}  operationOutcome  "No such job for this client, or already cancelled"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/$import-poll-status [delete]
func (s *Server) handleImportCancel(c *gin.Context) {
	j, err := s.ownJob(c, bulk.KindImport)
	if err == nil {
		err = s.store.DeleteJob(c.Request.Context(), j.ID)
	}
	if err != nil {
		fail(c, err)
		return
	}
	if j.State != store.JobRunning { // a running job's runner removes its files when it stops
		_ = bulk.RemoveJobFiles(s.cfg.JobsDir, j.ID)
	}
	writeJSON(c, http.StatusAccepted, information("The import job "+j.ID+" was cancelled."))
}

// ownJob returns the job of kind _jobId names, if the caller started it (or is an admin)
// and it was not cancelled. Other clients are told it does not exist.
func (s *Server) ownJob(c *gin.Context, kind string) (store.Job, error) {
	id := c.Query("_jobId")
	if id == "" {
		return store.Job{}, fhir.Errorf(fhir.KindInvalid, "required", "", "the _jobId parameter is required")
	}
	notFound := fhir.Errorf(fhir.KindNotFound, "not-found", "", "there is no job %q for this client", id)
	j, err := s.store.GetJob(c.Request.Context(), id)
	switch {
	case fhir.KindOf(err) == fhir.KindNotFound:
		return store.Job{}, notFound
	case err != nil:
		return store.Job{}, err
	case j.Kind != kind || j.State == store.JobCancelled:
		return store.Job{}, notFound
	case j.Client != principal(c).ClientID && principal(c).Role != auth.RoleAdmin:
		return store.Job{}, notFound
	}
	return j, nil
}

// progressText is the X-Progress of a job: "queued", or "41% (123,456 resources)".
func progressText(j store.Job) string {
	var p bulk.ImportProgress
	if j.State == store.JobQueued || json.Unmarshal(j.Progress, &p) != nil {
		return "queued"
	}
	if p.Phase != "loading" {
		return "fetching the inputs"
	}
	pct := int64(0)
	if p.TotalBytes > 0 {
		pct = 100 * p.Bytes / p.TotalBytes
	}
	return fmt.Sprintf("%d%% (%s resources)", pct, thousands(p.Loaded+p.Unchanged+p.Failed))
}

// thousands writes n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
