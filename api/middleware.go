package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/nimsproject/nims/fhir"
)

const (
	ctxLogger      = "nims.logger"
	ctxInteraction = "nims.interaction"
)

// logFrom returns the request's logger (carrying its request id), or the default.
func logFrom(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

// requestIDs mirrors X-Request-ID and X-Correlation-ID as the NHS APIs do, and gives
// the request a logger. Only the route template is logged, never the path or query
// (they can carry NHS numbers and names).
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
			logID = uuid.NewString()
		}
		c.Set(ctxLogger, s.log.With("request_id", logID))
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
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		if s.cfg.AccessLog || status >= 500 {
			logFrom(c).Log(c.Request.Context(), level, "request",
				"method", c.Request.Method, "route", c.FullPath(), "interaction", interaction,
				"type", typ, "status", status, "duration_ms", float64(elapsed.Microseconds())/1000)
		}
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
func (s *Server) limitBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > s.cfg.MaxBodyBytes {
			fail(c, tooLarge(s.cfg.MaxBodyBytes))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes+1)
		c.Next()
	}
}

func statusLabel(code int) string { return strconv.Itoa(code) }
