package api

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/bulk/nhscsv"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// NHS batch files over HTTP (reference/nhs-england.md §1.11): a supplier uploads a v5 CSV
// under its NHS file name; the file becomes a job (a name received before is refused),
// applied in arrival order by nhscsv.Runner, and its BUSACK report is the status URL's
// answer once done.

// batchFileDefinition is the canonical the CapabilityStatement names the operation by.
const batchFileDefinition = "http://nims.nhs.example/fhir/OperationDefinition/batch-file"

// handleBatchFile serves POST [base]/$batch-file?file={name}.
//
// @Summary      Upload an NHS batch file (v5 CSV), asynchronously
// @Description  The file is the NHS Immunisation API's batch CSV (34 pipe-delimited, double-quoted columns; `ACTION_FLAG` new, update or delete), sent as the body (`Content-Type: text/csv`) under its NHS file name, `{VACCTYPE}_Vaccinations_v5_{ODSCODE}_{YYYYMMDDThhmmssZZ}.csv`, given as the `file` query parameter (or a `Content-Disposition` filename). A name that breaks the rules is 400; a file whose name was received before is 409 (a file is applied once). The answer is 202 with the status URL in `Content-Location`; files are applied one at a time in the order they came.
// @Description  Each row is checked as the API checks a create, and applied if the client may: C, U and D of the file's vaccine type come from the client's Immunization scopes (a client limited to some vaccine types needs the file's). A row the client may not apply fails with "No permissions for requested operation"; a client with none of the three is 403.
// @Tags         operations
// @Accept       text/csv
// @Param        file              query   string  true   "The file's NHS name"
// @Param        body              body    string  true   "The CSV file"
// @Success      202  {object}  operationOutcome  "Accepted: poll the URL in Content-Location"
// @Failure      400  {object}  operationOutcome  "The file name breaks the NHS rules"
// @Failure      403  {object}  operationOutcome  "The client may not create, update or delete records of the file's vaccine type"
// @Failure      409  {object}  operationOutcome  "A file of that name was received before"
// @Failure      413  {object}  operationOutcome  "Larger than the import size limit"
// @Failure      415  {object}  operationOutcome  "Not text/csv"
// @Header       202  {string}  Content-Location  "The status URL: [base]/$batch-file-status?_jobId={id}"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/$batch-file [post]
func (s *Server) handleBatchFile(c *gin.Context) {
	if s.cfg.JobsDir == "" {
		fail(c, fhir.Errorf(fhir.KindNotImplemented, "not-supported", "", "batch files are not enabled on this server"))
		return
	}
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || !slices.Contains([]string{"text/csv", "text/plain", "application/octet-stream"}, mt) {
		fail(c, fhir.Errorf(fhir.KindUnsupportedMedia, "not-supported", "", "send the batch file as text/csv"))
		return
	}
	name := c.Query("file")
	if name == "" {
		if _, params, err := mime.ParseMediaType(c.GetHeader("Content-Disposition")); err == nil {
			name = params["filename"]
		}
	}
	if name == "" {
		fail(c, fhir.Errorf(fhir.KindInvalid, "required", "", "the file's NHS name is required: ?file={VACCTYPE}_Vaccinations_v5_{ODSCODE}_{YYYYMMDDThhmmssZZ}.csv"))
		return
	}
	fn, err := nhscsv.ParseFileName(name)
	if err != nil {
		fail(c, err)
		return
	}
	perms := s.batchPermissions(c, fn.VaccineType)
	if perms == "" {
		fail(c, forbidden("this client may not create, update or delete %s vaccination records", fn.VaccineType))
		return
	}
	g := s.guardOf(c)
	g.mu.Lock()
	g.query = "file=" + fn.Name
	g.mu.Unlock()
	j, err := nhscsv.Submit(c.Request.Context(), s.store, s.cfg.JobsDir, fn.Name, c.Request.Body, s.cfg.MaxImportBytes,
		principal(c).ClientID, nhscsv.BatchRequest{Permissions: perms})
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Location", s.base(c)+"/$batch-file-status?_jobId="+j.ID)
	writeJSON(c, http.StatusAccepted, information("The file "+fn.Name+" was accepted as job "+j.ID+": poll the URL in Content-Location for its BUSACK report."))
}

// batchPermissions are the CRUDS letters (of C, U, D) the caller holds on Immunization
// records of vaccine type vt.
func (s *Server) batchPermissions(c *gin.Context, vt string) string {
	p, g := principal(c), s.guardOf(c)
	diseases := fhir.DiseasesOf(vt)
	var letters string
	for _, x := range []struct {
		a      auth.Access
		letter string
	}{{auth.Create, "C"}, {auth.Update, "U"}, {auth.Delete, "D"}} {
		if !p.Can("Immunization", x.a) {
			continue
		}
		codes, limited := g.diseases(x.a)
		if limited && !allIn(diseases, codes) {
			continue
		}
		letters += x.letter
	}
	return letters
}

func allIn(xs, of []string) bool {
	for _, x := range xs {
		if !slices.Contains(of, x) {
			return false
		}
	}
	return len(xs) > 0
}

// handleBatchFileStatus serves GET [base]/$batch-file-status?_jobId={id}.
//
// @Summary      Status of a batch file, and its BUSACK report
// @Description  While the file waits or is applied: 202 with `X-Progress` and `Retry-After`. When done: 200 with the BUSACK report (`text/csv`, pipe-delimited: a header and one line per row of the file, in order: `HEADER_RESPONSE_CODE` OK or Fatal Error, `LOCAL_ID` as `UNIQUE_ID^UNIQUE_ID_URI`, `IMMS_ID`, `OPERATION_OUTCOME`), with the counts in `X-Batch-Summary`. A file rejected whole (its header) is 422 with an OperationOutcome. Another client's job, or an unknown one, is 404.
// @Tags         operations
// @Produce      text/csv
// @Param        _jobId  query  string  true  "The job id, from the upload's Content-Location"
// @Success      200  {string}  string            "The BUSACK report"
// @Success      202  {object}  operationOutcome  "Waiting or being applied"
// @Failure      404  {object}  operationOutcome  "No such job for this client"
// @Failure      422  {object}  operationOutcome  "The file was rejected whole"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one"
// @Security     BearerAuth
// @Router       /fhir/$batch-file-status [get]
func (s *Server) handleBatchFileStatus(c *gin.Context) {
	j, err := s.ownJob(c, nhscsv.KindBatch)
	if err != nil {
		fail(c, err)
		return
	}
	switch j.State {
	case store.JobQueued, store.JobRunning:
		c.Header("X-Progress", string(j.State))
		c.Header("Retry-After", retryAfter)
		writeJSON(c, http.StatusAccepted, information("The file is "+string(j.State)+"."))
	case store.JobCompleted:
		var res nhscsv.BatchResult
		_ = json.Unmarshal(j.Result, &res)
		ack, err := os.ReadFile(nhscsv.AckPath(s.cfg.JobsDir, j.ID))
		if err != nil {
			fail(c, fhir.Wrap("api.batch-file-status", err))
			return
		}
		c.Header("X-Batch-Summary", fmt.Sprintf("rows=%d created=%d updated=%d deleted=%d unchanged=%d failed=%d",
			res.Rows, res.Created, res.Updated, res.Deleted, res.Unchanged, res.Failed))
		c.Data(http.StatusOK, "text/csv; charset=utf-8", ack)
	default:
		writeJSON(c, http.StatusUnprocessableEntity, outcomeJSON([]fhir.Issue{{Severity: fhir.SeverityError, Code: "processing",
			Diagnostics: "The file was not applied: " + strings.TrimSpace(j.Error)}}))
	}
}
