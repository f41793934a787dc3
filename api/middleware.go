package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/fhir"
)

const (
	ctxRequestID   = "nims.request_id"
	ctxLog         = "nims.log"
	ctxInteraction = "nims.interaction"
)

// logFrom returns a logger carrying the request's id. It is built on demand: most
// requests log one access line and nothing else.
func logFrom(c *gin.Context) *slog.Logger {
	log := slog.Default()
	if l, ok := c.Get(ctxLog); ok {
		log = l.(*slog.Logger)
	}
	if id := c.GetString(ctxRequestID); id != "" {
		return log.With("request_id", id)
	}
	return log
}

// requestSeq numbers requests that came without an X-Request-ID, for the logs: a process
// prefix and a counter are unique enough and cost nothing (a random UUID per request
// showed in profiles).
var (
	requestSeq    atomic.Uint64
	requestPrefix = strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + "-"
)

// requestIDs mirrors X-Request-ID and X-Correlation-ID as the NHS APIs do and names the
// request for the logs. Only the route template is logged, never the path or query (they
// can carry NHS numbers and names).
func (s *Server) requestIDs() gin.HandlerFunc {
	return func(c *gin.Context) {
		reqID := c.GetHeader("X-Request-ID")
		if reqID != "" {
			c.Header("X-Request-ID", reqID)
		}
		if corr := c.GetHeader("X-Correlation-ID"); corr != "" {
			c.Header("X-Correlation-ID", corr)
		}
		logID := reqID
		if logID == "" || len(logID) > 64 {
			logID = requestPrefix + strconv.FormatUint(requestSeq.Add(1), 36)
		}
		c.Set(ctxRequestID, logID)
		c.Set(ctxLog, s.log)
		c.Next()
	}
}

// observe records one log line and the metrics of each request.
func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		elapsed := time.Since(start)
		interaction := c.GetString(ctxInteraction)
		if interaction == "" {
			interaction = "unknown"
		}
		typ := c.Param("type")
		if typ != "" && !fhir.IsResourceType(typ) {
			typ = "invalid" // keep label cardinality bounded
		}
		status := c.Writer.Status()
		s.metrics.observe(interaction, typ, status, elapsed)
		if !s.cfg.AccessLog && status < 500 {
			return
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request.Context(), level, "request",
			slog.String("request_id", c.GetString(ctxRequestID)),
			slog.String("method", c.Request.Method), slog.String("route", c.FullPath()),
			slog.String("interaction", interaction), slog.String("type", typ), slog.Int("status", status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000))
	}
}

// recoverer turns a panic into a 500 OperationOutcome; the panic value is logged, not shown.
func recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logFrom(c).Error("panic in handler", "route", c.FullPath(), "panic", panicText(v))
				fail(c, &fhir.Error{Kind: fhir.KindInternal, Op: "api.recover"})
			}
		}()
		c.Next()
	}
}

func panicText(v any) string {
	switch t := v.(type) {
	case error:
		return t.Error()
	case string:
		return t
	}
	return "non-error panic"
}

// interaction names the FHIR interaction of a route for metrics and logs.
func interaction(name string) gin.HandlerFunc {
	return func(c *gin.Context) { c.Set(ctxInteraction, name) }
}

// limitBody caps every request body, so an over-long body costs at most the limit.
func (s *Server) limitBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			fail(c, tooLarge(limit))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit+1)
		c.Next()
	}
}

func statusLabel(code int) string { return strconv.Itoa(code) }
