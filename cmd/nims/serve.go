package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nimsproject/nims/api"
	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/bulk"
	"github.com/nimsproject/nims/bulk/nhscsv"
	"github.com/nimsproject/nims/store"
	"github.com/nimsproject/nims/store/mongo"
	"github.com/nimsproject/nims/store/sqlite"
)

// serveConfig is the configuration of nims serve. Every flag also reads NIMS_<NAME>.
type serveConfig struct {
	addr, data, storeURI, baseURL, logFormat, logLevel, debugAddr string
	maxBody, cacheMB                                              int64
	accessLog, demo                                               bool
	shutdownGrace                                                 time.Duration
	rateLimit                                                     float64
	rateBurst, demoPatients                                       int
	trustedProxies                                                string
	importSources                                                 string
	maxImport                                                     int64
	jobsDir                                                       string // as given; "" means DATA/jobs
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv("NIMS_" + name); v != "" {
			return v
		}
		return def
	}
	envBool := func(name string, def bool) bool {
		b, err := strconv.ParseBool(env(name, strconv.FormatBool(def)))
		return err == nil && b
	}
	demoPatients, _ := strconv.Atoi(env("DEMO_PATIENTS", "10000"))
	maxBody, _ := strconv.ParseInt(env("MAX_BODY", strconv.Itoa(api.DefaultMaxBodyBytes)), 10, 64)
	grace, _ := time.ParseDuration(env("SHUTDOWN_GRACE", "20s"))
	fs.StringVar(&c.addr, "addr", env("ADDR", "127.0.0.1:8080"), "listen address HOST:PORT (NIMS_ADDR)")
	fs.StringVar(&c.data, "data", env("DATA", "./data"), "data directory for the embedded store and keys (NIMS_DATA)")
	fs.StringVar(&c.storeURI, "store", env("STORE", ""), "store URI; empty means embedded SQLite in --data (NIMS_STORE)")
	fs.StringVar(&c.jobsDir, "jobs-dir", env("JOBS_DIR", ""), "directory of the jobs' files; DATA/jobs when empty. Replicas sharing a MongoDB store must share it (NIMS_JOBS_DIR)")
	fs.StringVar(&c.debugAddr, "debug-addr", env("DEBUG_ADDR", ""), "serve Go profiling (/debug/pprof) on this address, e.g. 127.0.0.1:6060; off when empty (NIMS_DEBUG_ADDR)")
	fs.StringVar(&c.baseURL, "base-url", env("BASE_URL", ""), "public FHIR base URL for links; derived from requests when empty (NIMS_BASE_URL)")
	fs.StringVar(&c.logFormat, "log-format", env("LOG_FORMAT", "json"), "log format: json or text (NIMS_LOG_FORMAT)")
	fs.StringVar(&c.logLevel, "log-level", env("LOG_LEVEL", "info"), "log level: debug, info, warn, error (NIMS_LOG_LEVEL)")
	cacheMB, _ := strconv.ParseInt(env("CACHE_MB", "64"), 10, 64)
	fs.Int64Var(&c.cacheMB, "cache-mb", cacheMB, "memory for the cache of current versions that serves reads by id, in MiB; 0 turns it off (NIMS_CACHE_MB)")
	fs.Int64Var(&c.maxBody, "max-body", maxBody, "largest request body in bytes (NIMS_MAX_BODY)")
	fs.BoolVar(&c.accessLog, "access-log", envBool("ACCESS_LOG", true), "log one line per request, without paths or queries (NIMS_ACCESS_LOG)")
	fs.BoolVar(&c.demo, "demo", envBool("DEMO", false), "load demonstration data into an empty store (NIMS_DEMO)")
	fs.IntVar(&c.demoPatients, "demo-patients", demoPatients, "people in the synthetic England --demo loads (nims seed's; NIMS_DEMO_PATIENTS)")
	rate, _ := strconv.ParseFloat(env("RATE_LIMIT", "5000"), 64)
	burst, _ := strconv.Atoi(env("RATE_BURST", "10000"))
	fs.Float64Var(&c.rateLimit, "rate-limit", rate, "requests per second each client may make, 429 beyond; 0 turns limiting off (NIMS_RATE_LIMIT)")
	fs.StringVar(&c.trustedProxies, "trusted-proxies", env("TRUSTED_PROXIES", ""), "comma-separated IPs or CIDRs of proxies whose X-Forwarded-For names the client; none when empty (NIMS_TRUSTED_PROXIES)")
	fs.IntVar(&c.rateBurst, "rate-burst", burst, "requests a client may make at once above its rate (NIMS_RATE_BURST)")
	fs.DurationVar(&c.shutdownGrace, "shutdown-grace", grace, "how long to let in-flight requests finish on shutdown (NIMS_SHUTDOWN_GRACE)")
	fs.StringVar(&c.importSources, "import-sources", env("IMPORT_SOURCES", ""), "comma-separated http(s) URL prefixes $import may fetch inputs from; none when empty, so inputs must be sent as the body (NIMS_IMPORT_SOURCES)")
	maxImport, _ := strconv.ParseInt(env("MAX_IMPORT", strconv.FormatInt(bulk.DefaultMaxImportBytes, 10)), 10, 64)
	fs.Int64Var(&c.maxImport, "max-import", maxImport, "largest $import input (an NDJSON body, or a fetched file) in bytes (NIMS_MAX_IMPORT)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, src := range splitList(c.importSources) {
		if u, err := url.Parse(src); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return c, fmt.Errorf("--import-sources: %q is not an http or https URL prefix", src)
		}
	}
	return c, nil
}

func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want json or text", format)
}

// openStore opens the backend the URI names: the embedded store (in dataDir unless the
// URI names a directory), or a MongoDB database that nims migrate has prepared. cacheMB
// sizes the embedded store's cache of current versions; a MongoDB store has none, since
// other replicas write to the same database behind any one replica's back.
func openStore(ctx context.Context, uri, dataDir string, cacheMB int64) (store.Store, error) {
	switch {
	case uri == "" || uri == "sqlite" || strings.HasPrefix(uri, "sqlite:"):
		dir := strings.TrimPrefix(strings.TrimPrefix(uri, "sqlite:"), "//")
		if dir == "" || dir == "sqlite" {
			dir = dataDir
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		cache := cacheMB << 20
		if cacheMB <= 0 {
			cache = -1
		}
		return sqlite.Open(ctx, dir, sqlite.Options{CacheBytes: cache})
	case isMongoURI(uri):
		// An unmigrated database fails here with an error that says to run nims
		// migrate; main prints its diagnostics (errText).
		return mongo.Open(ctx, uri, mongo.Options{})
	}
	return nil, fmt.Errorf("store URI %q: want sqlite:DIR or mongodb://…", uri)
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, getenv, stderr)
	if err != nil {
		return err
	}
	logOut := newLogWriter(stderr)
	defer logOut.Close()
	log, err := newLogger(cfg.logFormat, cfg.logLevel, logOut)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg.storeURI, cfg.data, cfg.cacheMB)
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.demo {
		if cfg.demoPatients > 0 {
			log.Info("loading demo data into an empty store: a synthetic England", "people", cfg.demoPatients)
		}
		n, err := seedDemo(ctx, st, cfg.demoPatients)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if n > 0 {
			log.Info("demo data loaded", "resources", n)
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	base := cfg.baseURL
	if base == "" {
		base = url + "/fhir"
	}
	if err := writeServerInfo(cfg.data, base); err != nil {
		return err
	}
	authority, err := auth.New(auth.Config{Dir: cfg.data, Issuer: base, TokenURL: tokenURL(base)})
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	auditLog, err := audit.Open(cfg.data, audit.Options{Source: "nims " + version})
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	defer auditLog.Close()
	jobsDir := jobsPath(cfg.jobsDir, cfg.data)
	srv := api.New(api.Config{BaseURL: cfg.baseURL, MaxBodyBytes: cfg.maxBody, AccessLog: cfg.accessLog, Version: version,
		Auth: authority, Audit: auditLog, RateLimit: cfg.rateLimit, RateBurst: cfg.rateBurst, TrustedProxies: splitList(cfg.trustedProxies),
		JobsDir: jobsDir, MaxImportBytes: cfg.maxImport, ImportSources: splitList(cfg.importSources)}, st, log)
	// The job runner lives as long as the server, and stops (giving its job back) before
	// the store closes.
	runCtx, stopJobs := context.WithCancel(ctx)
	var jobs sync.WaitGroup
	defer func() { stopJobs(); jobs.Wait() }()
	jobs.Go(func() {
		runner := &bulk.Runner{Store: st, Owner: workerName(), Dir: jobsDir, Sources: splitList(cfg.importSources),
			MaxFetchBytes: cfg.maxImport, Log: log.With("component", "jobs")}
		runner.Run(runCtx)
	})
	jobs.Go(func() { // NHS batch files, one at a time, oldest first
		runner := &nhscsv.Runner{Store: st, Owner: workerName(), Dir: jobsDir, Log: log.With("component", "batch-files")}
		runner.Run(runCtx)
	})
	if cfg.debugAddr != "" {
		go serveDebug(cfg.debugAddr, log)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("serving", "url", url, "fhir", url+"/fhir", "docs", url+"/docs/")
	fmt.Fprintf(stdout, "NIMS %s is serving.\n  FHIR API:  %s/fhir/metadata\n  API docs:  %s/docs/\n  Health:    %s/healthz\n", version, url, url, url)
	if cfg.demo {
		tok, err := authority.LocalToken("admin", "", nil, nil, 12*time.Hour)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nAn admin token for the next 12 hours (make others with: nims token --data %s --role ROLE):\n\n  export TOKEN=%s\n\n  curl -H \"Authorization: Bearer $TOKEN\" %s/fhir/Patient\n", cfg.data, tok, url)
	} else {
		fmt.Fprintf(stdout, "  Tokens:    nims token --data %s --role admin\n", cfg.data)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", "grace", cfg.shutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// serveDebug serves Go's profiler on its own listener, never on the public one: profiles
// show memory contents. Operators bind it to loopback.
func serveDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("debug server", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Error("debug server stopped", "cause", err.Error())
	}
}

// workerName names this process in job leases: host and pid.
func workerName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return host + ":" + strconv.Itoa(os.Getpid())
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
