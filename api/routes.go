package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nimsproject/nims/fhir"
)

// Interaction names, as the CapabilityStatement and the metrics show them.
const (
	IRead            = "read"
	IVRead           = "vread"
	IUpdate          = "update"
	IDelete          = "delete"
	IHistoryInstance = "history-instance"
	IHistoryType     = "history-type"
	IHistorySystem   = "history-system"
	ICreate          = "create"
	ISearchType      = "search-type"
	// ISearchCompartment is not a CapabilityStatement interaction: compartment search is
	// declared by rest.compartment.
	ISearchCompartment = "search-compartment"
	ICondUpdate        = "conditional-update"
	ICondDelete        = "conditional-delete"
	IValidate          = "validate"
	ICapabilities      = "capabilities"
	// The asynchronous $import: its kick-off, and the status URL it answers with.
	IImport       = "import"
	IImportStatus = "import-poll-status"
	IImportCancel = "import-cancel"
	// NHS batch files: the upload, and the status URL that gives the BUSACK report.
	IBatchFile       = "batch-file"
	IBatchFileStatus = "batch-file-status"
	// The programme's feeds, synchronous operations on one type each (typeOperations).
	IDemographicsFeed = "demographics-feed"
	IEthnicityFeed    = "ethnicity-feed"
	IPriorityList     = "priority-list"
)

// route is one FHIR route. The table is the single list of what the API does: the router
// and the CapabilityStatement are both built from it.
type route struct {
	method, path, interaction string
	typeLevel                 bool // the interaction applies per resource type
	handle                    func(s *Server, c *gin.Context)
}

// fhirRoutes is a function, not a variable, because the metadata handler reads it.
func fhirRoutes() []route {
	return []route{
		{http.MethodGet, "/metadata", ICapabilities, false, (*Server).handleMetadata},
		{http.MethodPost, "", ITransaction, false, (*Server).handleBundle},
		{http.MethodGet, "/_history", IHistorySystem, false, (*Server).handleHistory},
		{http.MethodGet, "/:type", ISearchType, true, (*Server).handleSearch},
		{http.MethodPost, "/:type", ICreate, true, (*Server).handleCreate},
		{http.MethodPut, "/:type", ICondUpdate, true, (*Server).handleConditionalUpdate},
		{http.MethodDelete, "/:type", ICondDelete, true, (*Server).handleConditionalDelete},
		{http.MethodPost, "/:type/_search", ISearchType, true, (*Server).handleSearch},
		{http.MethodGet, "/:type/_history", IHistoryType, true, (*Server).handleHistory},
		{http.MethodPost, "/:type/$validate", IValidate, true, (*Server).handleValidate},
		{http.MethodPost, "/:type/$demographics-feed", IDemographicsFeed, true, (*Server).handleDemographicsFeed},
		{http.MethodPost, "/:type/$ethnicity-feed", IEthnicityFeed, true, (*Server).handleEthnicityFeed},
		{http.MethodPost, "/:type/$priority-list", IPriorityList, true, (*Server).handlePriorityList},
		{http.MethodGet, "/:type/:id", IRead, true, (*Server).handleRead},
		{http.MethodPut, "/:type/:id", IUpdate, true, (*Server).handleUpdate},
		{http.MethodDelete, "/:type/:id", IDelete, true, (*Server).handleDelete},
		{http.MethodGet, "/:type/:id/_history", IHistoryInstance, true, (*Server).handleHistory},
		{http.MethodGet, "/:type/:id/_history/:vid", IVRead, true, (*Server).handleVRead},
		// [base]/Patient/[id]/[type]: the first segment is named type like every other
		// route's, as gin requires of wildcards in the same place.
		{http.MethodGet, "/:type/:id/:memberType", ISearchCompartment, true, (*Server).handleCompartmentSearch},
		{http.MethodPost, "/:type/:id/$validate", IValidate, true, (*Server).handleValidate},
		{http.MethodPost, "/$import", IImport, false, (*Server).handleImport},
		{http.MethodGet, "/$import-poll-status", IImportStatus, false, (*Server).handleImportStatus},
		{http.MethodDelete, "/$import-poll-status", IImportCancel, false, (*Server).handleImportCancel},
		{http.MethodPost, "/$batch-file", IBatchFile, false, (*Server).handleBatchFile},
		{http.MethodGet, "/$batch-file-status", IBatchFileStatus, false, (*Server).handleBatchFileStatus},
	}
}

func (s *Server) routes() *gin.Engine {
	e := gin.New()
	if err := e.SetTrustedProxies(s.cfg.TrustedProxies); err != nil {
		s.log.Error("trusted proxies: ignored, trusting none", "cause", err.Error())
		_ = e.SetTrustedProxies(nil)
	}
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.Use(s.requestIDs(), s.observe(), recoverer())
	e.NoRoute(func(c *gin.Context) {
		fail(c, fhir.Errorf(fhir.KindNotFound, "not-found", "", "there is no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		fail(c, fhir.Errorf(fhir.KindMethodNotAllowed, "not-supported", "", "method %s is not supported on this URL", c.Request.Method))
	})

	e.GET("/healthz", interaction("healthz"), s.handleHealthz)
	e.GET("/readyz", interaction("readyz"), s.handleReadyz)
	e.GET("/metrics", interaction("metrics"), gin.WrapH(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})))
	e.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/docs/") })
	s.docsRoutes(e)

	e.GET("/.well-known/smart-configuration", interaction("smart-configuration"), s.handleSmartConfiguration)
	e.GET("/auth/jwks.json", interaction("jwks"), s.handleJWKS)
	e.POST("/auth/token", interaction("token"), s.limitBody(s.cfg.MaxBodyBytes), s.handleToken)

	g := e.Group("/fhir", s.negotiateMW())
	g.GET("/.well-known/smart-configuration", interaction("smart-configuration"), s.limitBody(s.cfg.MaxBodyBytes), s.handleSmartConfiguration)
	for _, r := range fhirRoutes() {
		limit := s.cfg.MaxBodyBytes
		op, typeOp := typeOperations[r.interaction]
		if r.interaction == IImport || r.interaction == IBatchFile || typeOp {
			limit = s.cfg.MaxImportBytes // NDJSON or CSV: streamed, not held
		}
		hs := []gin.HandlerFunc{interaction(r.interaction), s.limitBody(limit)}
		secured := r.interaction != ICapabilities && !s.cfg.insecure
		if secured {
			hs = append(hs, s.audited(), s.authenticate())
		}
		if r.typeLevel {
			hs = append(hs, checkType)
		}
		if typeOp {
			hs = append(hs, op.onlyOnType)
		}
		if secured {
			hs = append(hs, authorize(r.interaction))
		}
		h := r.handle
		g.Handle(r.method, r.path, append(hs, func(c *gin.Context) { h(s, c) })...)
	}
	return e
}

// negotiateMW refuses, before any work, a request whose Accept we cannot satisfy.
func (s *Server) negotiateMW() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := negotiate(c); err != nil {
			fail(c, err)
			return
		}
		c.Next()
	}
}

// checkType answers 404 for a resource type FHIR R4 does not define, and 400 for an id
// that is not a FHIR id.
func checkType(c *gin.Context) {
	typ := c.Param("type")
	if !fhir.IsResourceType(typ) {
		fail(c, fhir.Errorf(fhir.KindNotFound, "not-supported", "", "resource type %q is not supported (not a FHIR R4 resource type)", typ))
		return
	}
	if id := c.Param("id"); id != "" && !fhir.ValidID(id) {
		fail(c, fhir.Errorf(fhir.KindInvalid, "invalid", "", "%q is not a valid resource id ([A-Za-z0-9-.]{1,64})", id))
		return
	}
	c.Next()
}

// typeOperation is an operation defined on one resource type only. Its route is
// [base]/:type/$name, registered as $validate's is, and answers 404 on any other type.
type typeOperation struct {
	typ, name string
}

// typeOperations are the type-level operations by interaction.
var typeOperations = map[string]typeOperation{
	IDemographicsFeed: {"Patient", "demographics-feed"},
	IEthnicityFeed:    {"Patient", "ethnicity-feed"},
	IPriorityList:     {"Flag", "priority-list"},
}

// definition is the canonical URL the CapabilityStatement gives the operation under, in
// NIMS's own namespace (like $import's).
func (o typeOperation) definition() string {
	return "http://nims.nhs.example/fhir/OperationDefinition/" + o.typ + "-" + o.name
}

func (o typeOperation) onlyOnType(c *gin.Context) {
	if typ := c.Param("type"); typ != o.typ {
		fail(c, fhir.Errorf(fhir.KindNotFound, "not-supported", "", "$%s is an operation on %s, not on %s", o.name, o.typ, typ))
		return
	}
	c.Next()
}
