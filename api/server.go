package api

import (
	"context"
	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/auth"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nimsproject/nims/bulk"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Config is what the HTTP layer needs to know.
type Config struct {
	// BaseURL is the public base of the FHIR API, e.g. https://nims.example/fhir. When
	// empty it is derived from each request (scheme, Host, /fhir).
	BaseURL string
	// MaxBodyBytes is the largest request body accepted (413 beyond).
	MaxBodyBytes int64
	// AccessLog logs one line per request (route template, status, duration; never
	// paths or queries, which carry personal data). Errors are always logged.
	AccessLog bool
	// Version is the software version shown in the CapabilityStatement.
	Version string
	// UniqueRules are the business identifiers that must be unique among live resources.
	UniqueRules []fhir.UniqueRule
	// Auth verifies access tokens and issues them (SMART Backend Services). Required:
	// nothing but the CapabilityStatement, discovery and health is served without a token.
	Auth *auth.Authority
	// Audit receives one event per request to a FHIR route and per token request; nil
	// records nothing (tests of other concerns).
	Audit *audit.Log
	// RateLimit is the requests per second each client may make (bursts of RateBurst);
	// 0 means unlimited.
	RateLimit float64
	RateBurst int
	// TrustedProxies are the addresses (IPs or CIDRs) of the proxies whose
	// X-Forwarded-For names the client, for the audit and per-address limits; none by
	// default, so a client cannot claim another's address.
	TrustedProxies []string

	// JobsDir is where asynchronous jobs keep their files ($import's NDJSON bodies, under
	// JobsDir/<job id>/); the bulk.Runner working on the jobs must use the same
	// directory. Empty turns $import off (501).
	JobsDir string
	// MaxImportBytes bounds an NDJSON body sent to $import (413 beyond); 0 means
	// bulk.DefaultMaxImportBytes. Other bodies are bounded by MaxBodyBytes.
	MaxImportBytes int64
	// ImportSources are the URL prefixes $import inputs may be fetched from (see
	// bulk.Sources); none means inputs given by URL are refused.
	ImportSources []string

	// insecure serves the FHIR routes without token, policy or audit: only the
	// benchmarks of this package set it, to measure what those cost.
	insecure bool
}

// Server is the NIMS HTTP API.
type Server struct {
	cfg     Config
	store   store.Store
	log     *slog.Logger
	metrics *metrics
	reg     *prometheus.Registry
	engine  *gin.Engine
	limits  *limiter // per client
	anon    *limiter // per address, for requests without a valid token and token requests
}

// anonRate and anonBurst bound, per client address, the requests that cost the server
// work before any client is known: those with a missing or invalid token (each checked,
// answered and audited) and token requests (each a signature check and an audit event).
const (
	anonRate  = 20
	anonBurst = 100
)

// DefaultMaxBodyBytes bounds a request body: far above any single resource, small enough
// that a hostile client cannot make the server hold gigabytes.
const DefaultMaxBodyBytes = 8 << 20

// New builds the HTTP handler over st.
func New(cfg Config, st store.Store, log *slog.Logger) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = bulk.DefaultMaxImportBytes
	}
	if cfg.UniqueRules == nil {
		cfg.UniqueRules = fhir.DefaultUniqueRules
	}
	if log == nil {
		log = slog.Default()
	}
	gin.SetMode(gin.ReleaseMode)
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	if cfg.Auth == nil {
		panic("api.New: Config.Auth is required")
	}
	s := &Server{cfg: cfg, store: st, log: log, metrics: newMetrics(reg), reg: reg, limits: newLimiter(cfg.RateLimit, cfg.RateBurst),
		anon: newLimiter(anonRate, anonBurst)}
	s.engine = s.routes()
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Ready reports whether the server can take traffic (the store answers).
func (s *Server) Ready(ctx context.Context) error { return s.store.Ping(ctx) }

// base is the FHIR base URL for links in responses.
func (s *Server) base(c *gin.Context) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + c.Request.Host + "/fhir"
}
