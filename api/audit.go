package api

import (
	"bytes"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/store"
)

// Audit. Every request to a FHIR route that needs a token leaves one audit event, refused
// ones included: who (client, role, purpose), what (interaction, type, query), whose data
// (the patients of every record answered), the outcome and the request id. The handlers
// note what they answer (guard.touched); audited records the event once the response is
// written. audit.Log writes in the background, so the request pays for a channel send.

// maxAuditRefs bounds the references one event lists; a bigger answer is marked truncated.
const maxAuditRefs = 200

// audited records the audit event of each request that passes through it.
func (s *Server) audited() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if s.cfg.Audit == nil {
			return
		}
		p := principal(c)
		ev := audit.Event{
			Time:        time.Now().UTC(),
			RequestID:   c.GetString(ctxRequestID),
			ClientID:    p.ClientID,
			ClientName:  p.Name,
			Role:        p.Role,
			Purpose:     auth.Purpose(p.Role),
			Interaction: c.GetString(ctxInteraction),
			Type:        c.Param("type"),
			Status:      c.Writer.Status(),
			Address:     c.ClientIP(),
		}
		if m := c.Param("memberType"); m != "" {
			ev.Type = m
		}
		if ev.Status >= 400 {
			ev.Outcome = http.StatusText(ev.Status)
		}
		if v, ok := c.Get(ctxGuard); ok {
			g := v.(*guard)
			g.mu.Lock()
			ev.Entities, ev.Patients, ev.Truncated, ev.Query = g.entities, g.patients, g.truncated, g.query
			g.mu.Unlock()
		}
		s.cfg.Audit.Record(ev)
	}
}

// touched notes that the response carries rec (or that the request wrote it).
func (g *guard) touched(rec store.Record) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.note(&g.entities, rec.Type+"/"+rec.ID)
	switch {
	case rec.Type == "Patient":
		g.note(&g.patients, "Patient/"+rec.ID)
	case personal(rec.Type):
		for _, id := range patientRefs(rec.JSON) {
			g.note(&g.patients, "Patient/"+id)
		}
	}
}

func (g *guard) note(list *[]string, ref string) {
	if g.noted[ref] {
		return
	}
	if len(*list) >= maxAuditRefs {
		g.truncated = true
		return
	}
	g.noted[ref] = true
	*list = append(*list, ref)
}

// patientRefs finds the local Patient references of a resource ("reference":
// "Patient/id") by scanning its bytes: the audit must not cost a decode per record.
func patientRefs(js []byte) []string {
	var out []string
	const key = `"Patient/`
	for i := 0; ; {
		j := bytes.Index(js[i:], []byte(key))
		if j < 0 {
			return out
		}
		start := i + j
		i = start + len(key)
		if !afterReferenceKey(js[:start]) {
			continue
		}
		end := bytes.IndexByte(js[i:], '"')
		if end <= 0 {
			return out
		}
		if id := string(js[i : i+end]); validRefID(id) {
			out = append(out, id)
		}
		i += end
	}
}

// afterReferenceKey reports whether b ends with `"reference"` and a colon, spaces allowed.
func afterReferenceKey(b []byte) bool {
	b = bytes.TrimRight(b, " \t\r\n")
	if len(b) == 0 || b[len(b)-1] != ':' {
		return false
	}
	return bytes.HasSuffix(bytes.TrimRight(b[:len(b)-1], " \t\r\n"), []byte(`"reference"`))
}

func validRefID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
