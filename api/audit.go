package api

import (
	"bytes"
	"net/http"
	"strings"
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
		if s.cfg.Audit == nil {
			c.Next()
			return
		}
		defer func() {
			if v := recover(); v != nil {
				s.record(c, http.StatusInternalServerError) // a request that panics is audited as the 500 it becomes
				panic(v)
			}
			s.record(c, 0)
		}()
		c.Next()
	}
}

// record writes the audit event of the request c; status, when not 0, overrides the one
// written.
func (s *Server) record(c *gin.Context, status int) {
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
	if v, ok := c.Get(ctxGuard); ok {
		g := v.(*guard)
		g.mu.Lock()
		ev.Entities, ev.Patients, ev.Truncated, ev.Query = g.entities, g.patients, g.truncated, g.query
		g.mu.Unlock()
	}
	if status != 0 {
		ev.Status = status
	}
	if ev.Status >= 400 {
		ev.Outcome = http.StatusText(ev.Status)
	}
	s.cfg.Audit.Record(ev)
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
	if g.noted == nil {
		g.noted = map[string]bool{}
	}
	g.noted[ref] = true
	*list = append(*list, ref)
}

// patientRefs finds the Patient references of a resource by scanning its bytes for
// "reference" members: the audit must not cost a decode per record. "Patient/1",
// "Patient/1/_history/2" and absolute URLs ending in Patient/1 all name Patient 1;
// contained and identifier-only references name no stored patient and are not listed.
func patientRefs(js []byte) []string {
	var out []string
	const key = `"reference"`
	for i := 0; ; {
		j := bytes.Index(js[i:], []byte(key))
		if j < 0 {
			return out
		}
		i += j + len(key)
		rest := bytes.TrimLeft(js[i:], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			continue
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) == 0 || rest[0] != '"' {
			continue
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			return out
		}
		if id, ok := patientOf(string(rest[1 : 1+end])); ok {
			out = append(out, id)
		}
	}
}

// patientOf returns the id of the Patient a reference names, if it names one.
func patientOf(ref string) (string, bool) {
	k := strings.LastIndex(ref, "Patient/")
	if k < 0 || (k > 0 && ref[k-1] != '/') {
		return "", false
	}
	id, _, _ := strings.Cut(ref[k+len("Patient/"):], "/")
	return id, validRefID(id)
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
