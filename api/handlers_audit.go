package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/fhir"
)

// The audit trail as FHIR: GET [base]/AuditEvent?… and GET [base]/AuditEvent/[seq] read
// the audit log, not the resource store (the log is its own hash-chained file). The
// search parameters are the ones the log indexes:
//
//	patient   Patient/123 or 123: events that touched that patient's data
//	agent     a client_id: events of that client
//	entity-type  a resource type acted on
//	subtype   an interaction (read, search-type, create, token, …)
//	date      ge/gt/le/lt an instant (repeatable, for a range)
//	_sort     date (oldest first) or -date (newest first, the default)
//	_count    page size (at most 1000)
//
// AuditEvents cannot be written through the API: the server alone writes them.

// auditParams are the parameters handleAuditSearch understands; anything else is refused
// rather than ignored, since these semantics are NIMS's own.
var auditParams = map[string]bool{"patient": true, "agent": true, "entity-type": true, "subtype": true,
	"date": true, "_sort": true, "_count": true, "_cursor": true, "_format": true, "_pretty": true}

func (s *Server) handleAuditSearch(c *gin.Context) {
	if s.cfg.Audit == nil {
		fail(c, fhir.Errorf(fhir.KindNotImplemented, "not-supported", "", "this server keeps no audit log"))
		return
	}
	params, err := searchParams(c, s.cfg.MaxBodyBytes)
	if err != nil {
		fail(c, err)
		return
	}
	q, err := auditQuery(params)
	if err != nil {
		fail(c, err)
		return
	}
	g := s.guardOf(c)
	g.query = "AuditEvent?" + params.Encode()
	if q.Patient != "" {
		g.mu.Lock()
		g.note(&g.patients, q.Patient)
		g.mu.Unlock()
	}
	recs, next, err := s.cfg.Audit.Search(c.Request.Context(), q)
	if err != nil {
		fail(c, err)
		return
	}
	base := s.base(c)
	b := bundle{ResourceType: "Bundle", Type: "searchset", Entry: []bundleEntry{}}
	self := base + "/AuditEvent?"
	params.Del("_cursor")
	b.Link = []bundleLink{{Relation: "self", URL: self + linkQuery(params)}}
	if next > 0 {
		params.Set("_cursor", strconv.FormatInt(next, 10))
		b.Link = append(b.Link, bundleLink{Relation: "next", URL: self + linkQuery(params)})
	}
	for _, r := range recs {
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/AuditEvent/" + strconv.FormatInt(r.Seq, 10),
			Resource: json.RawMessage(r.AuditEvent(base)), Search: &entrySearch{Mode: "match"}})
	}
	writeJSON(c, http.StatusOK, b)
}

func auditQuery(params url.Values) (audit.Query, error) {
	q := audit.Query{Descending: true}
	for name := range params {
		if !auditParams[name] {
			return q, fhir.Errorf(fhir.KindInvalid, "not-supported", "",
				"AuditEvent search supports patient, agent, entity-type, subtype, date, _sort and _count; not %q", name[:min(len(name), 64)])
		}
	}
	if p := params.Get("patient"); p != "" {
		if !strings.HasPrefix(p, "Patient/") {
			p = "Patient/" + p
		}
		q.Patient = p
	}
	q.Client, q.Type, q.Interaction = params.Get("agent"), params.Get("entity-type"), params.Get("subtype")
	for _, d := range params["date"] {
		prefix, value := "", d
		if len(d) > 2 {
			switch d[:2] {
			case "ge", "gt", "le", "lt":
				prefix, value = d[:2], d[2:]
			}
		}
		t, err := parseInstant("date", value)
		if err != nil {
			return q, err
		}
		switch prefix {
		case "ge":
			q.Since = t
		case "gt":
			q.Since = t.Add(time.Millisecond)
		case "lt":
			q.Until = t
		case "le":
			q.Until = t.Add(time.Millisecond)
		default:
			return q, fhir.Errorf(fhir.KindInvalid, "invalid", "", "AuditEvent date takes ge, gt, le or lt before an instant")
		}
	}
	switch params.Get("_sort") {
	case "", "-date":
	case "date":
		q.Descending = false
	default:
		return q, fhir.Errorf(fhir.KindInvalid, "invalid", "", "AuditEvent _sort is date or -date")
	}
	if v := params.Get("_count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return q, fhir.Errorf(fhir.KindInvalid, "invalid", "", "_count must be a positive integer")
		}
		q.Count = min(n, 1000)
	}
	if v := params.Get("_cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return q, fhir.Errorf(fhir.KindInvalid, "invalid", "", "invalid _cursor")
		}
		q.After = n
	}
	return q, nil
}

// handleAuditRead serves GET [base]/AuditEvent/[seq].
func (s *Server) handleAuditRead(c *gin.Context) {
	seq, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if s.cfg.Audit == nil || err != nil || seq < 1 {
		fail(c, fhir.Errorf(fhir.KindNotFound, "not-found", "", "AuditEvent resource does not exist. ID: %s", c.Param("id")))
		return
	}
	recs, _, err := s.cfg.Audit.Search(c.Request.Context(), audit.Query{After: seq - 1, Count: 1})
	if err != nil {
		fail(c, err)
		return
	}
	if len(recs) == 0 || recs[0].Seq != seq {
		fail(c, fhir.Errorf(fhir.KindNotFound, "not-found", "", "AuditEvent resource does not exist. ID: %s", c.Param("id")))
		return
	}
	writeRaw(c, http.StatusOK, recs[0].AuditEvent(s.base(c)))
}

// refuseAuditWrite answers writes to AuditEvent: the server alone writes the trail.
func refuseAuditWrite(c *gin.Context) bool {
	if c.Param("type") != "AuditEvent" {
		return false
	}
	fail(c, fhir.Errorf(fhir.KindMethodNotAllowed, "not-supported", "",
		"AuditEvents are written by the server only; the audit trail cannot be changed through the API"))
	return true
}
