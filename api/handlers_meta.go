package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/conformance"
	"github.com/nimsproject/nims/fhir"
)

// handleMetadata serves the CapabilityStatement, generated from the route table and the
// search-parameter table: it claims exactly what the server does.
//
// @Summary      Capabilities
// @Description  The [CapabilityStatement](https://hl7.org/fhir/R4/capabilitystatement.html): every R4 resource type with the interactions and search parameters the server supports, JSON only. It is built from the route and search-parameter tables, so it claims exactly what the server does.
// @Tags         system
// @Param        _format           query   string  false  "Response format, overriding Accept"  Enums(json, application/json, application/fhir+json)
// @Param        _pretty           query   bool    false  "Indent the JSON response"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  fhirResource  "CapabilityStatement"
// @Failure      406  {object}  operationOutcome  "The Accept header or _format asks for a format other than JSON"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Router       /fhir/metadata [get]
func (s *Server) handleMetadata(c *gin.Context) {
	in := conformance.Input{
		BaseURL:           s.base(c),
		Version:           s.cfg.Version,
		Types:             fhir.ResourceTypes(),
		Formats:           []string{mimeFHIRJSON, mimeJSON},
		Operations:        []conformance.Operation{{Name: "validate", Definition: "http://hl7.org/fhir/OperationDefinition/Resource-validate"}},
		SearchParams:      conformance.SearchParams,
		SearchIncludes:    conformance.SearchIncludes,
		SearchRevIncludes: conformance.SearchRevIncludes,
	}
	if !s.cfg.insecure {
		in.TokenURL, _ = s.cfg.Auth.SmartConfiguration()["token_endpoint"].(string)
	}
	if s.cfg.JobsDir != "" {
		in.SystemOperations = append(in.SystemOperations, conformance.Operation{Name: "import", Definition: importDefinition},
			conformance.Operation{Name: "batch-file", Definition: batchFileDefinition})
	}
	for _, r := range fhirRoutes() {
		if r.interaction == ISearchCompartment {
			in.Compartments = []string{patientCompartmentURL}
			continue
		}
		if op, ok := typeOperations[r.interaction]; ok {
			if in.TypeOperations == nil {
				in.TypeOperations = map[string][]conformance.Operation{}
			}
			in.TypeOperations[op.typ] = append(in.TypeOperations[op.typ], conformance.Operation{Name: op.name, Definition: op.definition()})
			continue
		}
		switch {
		case r.typeLevel:
			in.TypeInteractions = append(in.TypeInteractions, r.interaction)
		case r.interaction == ITransaction:
			in.SystemInteractions = append(in.SystemInteractions, ITransaction, IBatch)
		default:
			in.SystemInteractions = append(in.SystemInteractions, r.interaction)
		}
	}
	writeJSON(c, http.StatusOK, conformance.Build(in))
}

// handleValidate serves [type]/$validate and [type]/[id]/$validate: the same checks as a
// write, nothing stored. The body is the resource, or a Parameters with a "resource" part.
//
// @Summary      Validate a resource ($validate on a type)
// @Description  Runs the checks of a write on the body without storing anything ([$validate](https://hl7.org/fhir/R4/resource-operation-validate.html)). The body is the resource, or a Parameters resource whose `resource` part is the resource.
// @Description  The answer is 200 with an OperationOutcome either way: one informational issue when the resource is valid, else the issues found (an empty or unparseable body, a resourceType other than `{type}`, invalid elements).
// @Tags         operations
// @Param        type              path    string  true   "Any FHIR R4 resource type, e.g. Immunization or Patient"  extensions(x-example=Immunization)
// @Param        resource          body    fhirResource  true  "The resource, or a Parameters with a resource part"
// @Param        _format           query   string  false  "Response format, overriding Accept"  Enums(json, application/json, application/fhir+json)
// @Param        _pretty           query   bool    false  "Indent the JSON response"
// @Param        X-Request-ID      header  string  false  "Request id, mirrored on the response"
// @Param        X-Correlation-ID  header  string  false  "Correlation id, mirrored on the response"
// @Success      200  {object}  operationOutcome  "Validation result: information when valid, else the issues"
// @Failure      404  {object}  operationOutcome  "Not a FHIR R4 resource type"
// @Failure      406  {object}  operationOutcome  "The Accept header or _format asks for a format other than JSON"
// @Failure      413  {object}  operationOutcome  "Body larger than the limit (after decompression)"
// @Failure      415  {object}  operationOutcome  "Content-Type other than FHIR JSON, or Content-Encoding other than gzip"
// @Failure      500  {object}  operationOutcome  "Internal error"
// @Header       all  {string}  X-Request-ID      "The request's X-Request-ID"
// @Header       all  {string}  X-Correlation-ID  "The request's X-Correlation-ID"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      403  {object}  operationOutcome  "The client's scopes or policy do not allow this"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir/{type}/$validate [post]
func (s *Server) handleValidate(c *gin.Context) {
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		fail(c, err)
		return
	}
	r, err := validateTarget(body, c.Param("type"))
	if err == nil {
		err = fhir.Validate(r)
	}
	if err != nil {
		if fe := asFHIRError(err); fe.Kind == fhir.KindInvalid && len(fe.Issues) > 0 {
			writeJSON(c, http.StatusOK, outcomeJSON(fe.Issues))
			return
		}
		fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, information("The resource is valid."))
}

// @Summary      Liveness
// @Description  200 while the process serves HTTP. It does not touch the store: see /readyz.
// @Tags         service
// @Produce      json
// @Success      200  {object}  healthStatus  "The process is alive (status pass)"
// @Router       /healthz [get]
func (s *Server) handleHealthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "pass"})
}

// handleReadyz answers 200 when the store answers within a second, else 503.
//
// @Summary      Readiness
// @Description  200 when the store answers within a second, else 503: an instance that answers 503 should get no traffic.
// @Tags         service
// @Produce      json
// @Success      200  {object}  healthStatus  "The store answers (status pass)"
// @Failure      503  {object}  healthStatus  "The store did not answer within a second (status fail)"
// @Router       /readyz [get]
func (s *Server) handleReadyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "fail"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "pass"})
}
