package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Batch and transaction Bundles (https://hl7.org/fhir/R4/http.html#transaction), at
// POST [base].
//
// A batch runs each entry on its own, exactly as the REST interaction it names would
// run, by sending it through the router as an internal request with the caller's token:
// every check, policy rule and audit event of that interaction applies, and one entry's
// failure is its own (an OperationOutcome in its response entry).
//
// A transaction is all or nothing. Its writes are checked and validated here, as their
// REST interactions would be, then handed to the store as one Transaction, which binds
// fullUrls (urn:uuid:…) and conditional references (Type?criteria) to the ids they
// resolve to inside the same database transaction. Entries run in FHIR's order:
// DELETE, POST, PUT, then GET (reads see the transaction's writes); the response lists
// them in the request's order. A failure anywhere fails the whole Bundle with the
// failing entry's OperationOutcome and writes nothing.

// maxBundleEntries bounds one Bundle: each entry is a request's worth of work.
const maxBundleEntries = 10000

// ITransaction and IBatch are the system interactions of POST [base].
const (
	ITransaction = "transaction"
	IBatch       = "batch"
)

type inBundle struct {
	ResourceType string    `json:"resourceType"`
	Type         string    `json:"type"`
	Entry        []inEntry `json:"entry"`
}

type inEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Request  *struct {
		Method          string `json:"method"`
		URL             string `json:"url"`
		IfNoneMatch     string `json:"ifNoneMatch"`
		IfModifiedSince string `json:"ifModifiedSince"`
		IfMatch         string `json:"ifMatch"`
		IfNoneExist     string `json:"ifNoneExist"`
	} `json:"request"`
}

type outEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Response *outResponse    `json:"response"`
}

type outResponse struct {
	Status       string          `json:"status"`
	Location     string          `json:"location,omitempty"`
	Etag         string          `json:"etag,omitempty"`
	LastModified string          `json:"lastModified,omitempty"`
	Outcome      json.RawMessage `json:"outcome,omitempty"`
}

type outBundle struct {
	ResourceType string     `json:"resourceType"`
	ID           string     `json:"id"`
	Type         string     `json:"type"`
	Entry        []outEntry `json:"entry"`
}

// handleBundle serves POST [base]: a batch or transaction Bundle.
//
// @Summary      Batch or transaction
// @Description  A Bundle of type `batch` (each entry on its own, with its own outcome) or `transaction` (all or nothing: `urn:uuid:` fullUrls and conditional references such as `Patient?identifier=…` are resolved, `ifNoneExist`, `ifMatch` and conditional update and delete work inside entries). Entries are GET, POST, PUT or DELETE on `[type]`, `[type]/[id]` or `[type]?[search]`. The answer is a `batch-response` or `transaction-response` Bundle, entries in the request's order.
// @Tags         system
// @Accept       json
// @Produce      json
// @Param        bundle            body    fhirResource  true   "A Bundle of type batch or transaction"
// @Param        Prefer            header  string  false  "return=minimal leaves the resources out of the response entries"
// @Success      200  {object}  fhirResource  "The batch-response or transaction-response Bundle"
// @Failure      400  {object}  operationOutcome  "Not a batch or transaction Bundle, or (transaction) an entry is invalid"
// @Failure      403  {object}  operationOutcome  "(transaction) an entry is outside the client's policy"
// @Failure      409  {object}  operationOutcome  "(transaction) a version conflict"
// @Failure      412  {object}  operationOutcome  "(transaction) a condition or conditional reference matches no or several resources"
// @Failure      422  {object}  operationOutcome  "(transaction) a business rule, e.g. a duplicate NHS number"
// @Failure      401  {object}  operationOutcome  "No access token, or not a valid one (see /.well-known/smart-configuration)"
// @Failure      429  {object}  operationOutcome  "The client's rate limit is spent; see Retry-After"
// @Security     BearerAuth
// @Router       /fhir [post]
func (s *Server) handleBundle(c *gin.Context) {
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		fail(c, err)
		return
	}
	r, err := fhir.Decode(body) // well-formed FHIR JSON: duplicate keys, UTF-8, nesting
	if err != nil {
		fail(c, err)
		return
	}
	var b inBundle
	if r.Type != "Bundle" || json.Unmarshal(body, &b) != nil {
		fail(c, fhir.Errorf(fhir.KindInvalid, "invalid", "", "POST [base] takes a Bundle of type batch or transaction"))
		return
	}
	if len(b.Entry) > maxBundleEntries {
		fail(c, fhir.Errorf(fhir.KindInvalid, "too-costly", "Bundle.entry", "a Bundle may have at most %d entries; this one has %d", maxBundleEntries, len(b.Entry)))
		return
	}
	for i, e := range b.Entry {
		if e.Request == nil || e.Request.Method == "" || e.Request.URL == "" {
			fail(c, fhir.Errorf(fhir.KindInvalid, "required", fmt.Sprintf("Bundle.entry[%d].request", i), "entry %d has no request method and url", i))
			return
		}
	}
	switch b.Type {
	case "batch":
		c.Set(ctxInteraction, IBatch)
		s.batch(c, b.Entry)
	case "transaction":
		s.transaction(c, b.Entry)
	default:
		fail(c, fhir.Errorf(fhir.KindInvalid, "invalid", "Bundle.type", "POST [base] takes a Bundle of type batch or transaction, not %q", b.Type))
	}
}

// batch runs every entry as its own request through the router.
func (s *Server) batch(c *gin.Context, entries []inEntry) {
	out := outBundle{ResourceType: "Bundle", ID: newID(), Type: "batch-response", Entry: make([]outEntry, len(entries))}
	for i, e := range entries {
		out.Entry[i] = s.dispatch(c, e)
	}
	writeJSON(c, http.StatusOK, out)
}

// dispatch runs one entry as an internal request with the caller's credentials and
// returns its response entry.
func (s *Server) dispatch(c *gin.Context, e inEntry) outEntry {
	target, err := entryURL(e.Request.URL)
	if err != nil {
		return errorEntry(err)
	}
	var body io.Reader
	if len(e.Resource) > 0 && (e.Request.Method == http.MethodPost || e.Request.Method == http.MethodPut) {
		body = bytes.NewReader(e.Resource)
	}
	req, err := http.NewRequestWithContext(c.Request.Context(), e.Request.Method, "/fhir/"+target, body)
	if err != nil {
		return errorEntry(fhir.Errorf(fhir.KindInvalid, "invalid", "", "the entry's request is not valid: %v", err))
	}
	req.RemoteAddr = c.Request.RemoteAddr
	req.Host = c.Request.Host
	for _, h := range []string{"Authorization", "Prefer", "X-Correlation-ID", "X-Forwarded-For", "X-Forwarded-Proto"} {
		if v := c.GetHeader(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", mimeFHIRJSON)
	}
	for h, v := range map[string]string{"If-None-Exist": e.Request.IfNoneExist, "If-Match": e.Request.IfMatch,
		"If-None-Match": e.Request.IfNoneMatch, "If-Modified-Since": e.Request.IfModifiedSince} {
		if v != "" {
			req.Header.Set(h, v)
		}
	}
	w := httptest.NewRecorder()
	s.engine.ServeHTTP(w, req)
	res := w.Result()
	entry := outEntry{Response: &outResponse{Status: strconv.Itoa(res.StatusCode) + " " + http.StatusText(res.StatusCode),
		Location: relativeLocation(res.Header.Get("Location")), Etag: res.Header.Get("ETag")}}
	if lm, err := http.ParseTime(res.Header.Get("Last-Modified")); err == nil {
		entry.Response.LastModified = lm.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	raw := w.Body.Bytes()
	if len(raw) > 0 {
		if res.StatusCode >= 400 {
			entry.Response.Outcome = raw
		} else {
			entry.Resource = raw
		}
	}
	return entry
}

// entryURL checks an entry's request url: relative to the base (Type, Type/id,
// Type?query, Type/id/_history/vid), or absolute with the FHIR base's path.
func entryURL(raw string) (string, error) {
	u := raw
	if i := strings.Index(u, "/fhir/"); strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		if i < 0 {
			return "", fhir.Errorf(fhir.KindInvalid, "invalid", "", "the entry's url %q is not on this server", raw)
		}
		u = u[i+len("/fhir/"):]
	}
	u = strings.TrimPrefix(u, "/")
	if u == "" || strings.HasPrefix(u, "_") && !strings.HasPrefix(u, "_history") || strings.Contains(u, "..") {
		return "", fhir.Errorf(fhir.KindInvalid, "invalid", "", "the entry's url %q is not a FHIR interaction URL", raw)
	}
	if _, err := url.Parse(u); err != nil {
		return "", fhir.Errorf(fhir.KindInvalid, "invalid", "", "the entry's url %q is not a valid URL", raw)
	}
	return u, nil
}

// relativeLocation turns a Location header into the Type/id/_history/vid a response
// entry carries.
func relativeLocation(loc string) string {
	if i := strings.Index(loc, "/fhir/"); i >= 0 {
		return loc[i+len("/fhir/"):]
	}
	return loc
}

func errorEntry(err error) outEntry {
	fe := asFHIRError(err)
	oo, _ := marshal(outcomeJSON(fe.Issues))
	st := statusOf[fe.Kind]
	return outEntry{Response: &outResponse{Status: strconv.Itoa(st) + " " + http.StatusText(st), Outcome: oo}}
}

// txEntry is one entry of a transaction on its way to the store.
type txEntry struct {
	index int
	op    store.Op
	read  bool // a GET, run after the commit
}

// transaction checks every write entry as its REST interaction would, runs them as one
// store Transaction, then runs the reads.
func (s *Server) transaction(c *gin.Context, entries []inEntry) {
	var writes []txEntry
	var reads []int
	seen := map[string]bool{}
	for i, e := range entries {
		if e.FullURL != "" {
			if seen[e.FullURL] {
				fail(c, entryError(i, fhir.Errorf(fhir.KindInvalid, "invalid", "fullUrl", "the fullUrl %q is used by more than one entry", e.FullURL)))
				return
			}
			seen[e.FullURL] = true
		}
		if e.Request.Method == http.MethodGet || e.Request.Method == http.MethodHead {
			reads = append(reads, i)
			continue
		}
		op, err := s.entryOp(c, e)
		if err != nil {
			fail(c, entryError(i, err))
			return
		}
		writes = append(writes, txEntry{index: i, op: op})
	}
	// FHIR's order: deletes, creates, updates.
	rank := map[store.OpKind]int{store.OpDelete: 0, store.OpCreate: 1, store.OpUpdate: 2}
	slices.SortStableFunc(writes, func(a, b txEntry) int { return rank[a.op.Kind] - rank[b.op.Kind] })
	ops := make([]store.Op, len(writes))
	for k := range writes {
		ops[k] = writes[k].op
	}
	results, err := s.store.Transaction(c.Request.Context(), ops)
	if err != nil {
		var oe *store.OpError
		if errors.As(err, &oe) && oe.Index < len(writes) {
			err = entryError(writes[oe.Index].index, oe.Err) // ops run sorted: name the request's entry
		}
		fail(c, err)
		return
	}
	g := s.guardOf(c)
	out := outBundle{ResourceType: "Bundle", ID: newID(), Type: "transaction-response", Entry: make([]outEntry, len(entries))}
	minimal := preferReturn(c) == "minimal"
	for k, res := range results {
		i := writes[k].index
		if res.Outcome == store.Existing && !g.visible(res.Record, auth.Search) {
			// Checked after the commit: the entry's condition was already cut to what the
			// client may see, so this is belt and braces.
			res.Record.JSON = nil
		}
		if res.Record.ID != "" {
			g.touched(res.Record)
		}
		out.Entry[i] = s.txResponse(c, entries[i], res, minimal)
	}
	for _, i := range reads {
		out.Entry[i] = s.dispatch(c, entries[i])
	}
	c.Set(ctxInteraction, ITransaction)
	writeJSON(c, http.StatusOK, out)
}

// txResponse is the response entry of a write of a committed transaction.
func (s *Server) txResponse(c *gin.Context, e inEntry, res store.Result, minimal bool) outEntry {
	rec := res.Record
	status := map[store.Outcome]string{store.Created: "201 Created", store.Updated: "200 OK", store.Existing: "200 OK",
		store.Deleted: "204 No Content", store.NoOp: "204 No Content"}[res.Outcome]
	o := outEntry{Response: &outResponse{Status: status}}
	if rec.ID == "" {
		return o
	}
	v := strconv.FormatInt(rec.Version, 10)
	o.FullURL = s.base(c) + "/" + rec.Type + "/" + rec.ID
	o.Response.Location = rec.Type + "/" + rec.ID + "/_history/" + v
	o.Response.Etag = `W/"` + v + `"`
	o.Response.LastModified = rec.LastUpdated.UTC().Format("2006-01-02T15:04:05.000Z")
	if !minimal && !rec.Deleted && len(rec.JSON) > 0 {
		o.Resource = rec.JSON
	}
	return o
}

// entryOp checks and validates one write entry of a transaction and returns its op, as
// the REST interaction it names would build it (with the same policy checks).
func (s *Server) entryOp(c *gin.Context, e inEntry) (store.Op, error) {
	target, err := entryURL(e.Request.URL)
	if err != nil {
		return store.Op{}, err
	}
	path, query, _ := strings.Cut(target, "?")
	parts := strings.Split(path, "/")
	typ := parts[0]
	if !fhir.IsResourceType(typ) {
		return store.Op{}, fhir.Errorf(fhir.KindNotFound, "not-supported", "", "resource type %q is not supported (not a FHIR R4 resource type)", typ)
	}
	if typ == "AuditEvent" {
		return store.Op{}, fhir.Errorf(fhir.KindMethodNotAllowed, "not-supported", "", "AuditEvents are written by the server only")
	}
	g := s.guardOf(c)
	id := ""
	if len(parts) == 2 {
		id = parts[1]
		if !fhir.ValidID(id) {
			return store.Op{}, fhir.Errorf(fhir.KindInvalid, "invalid", "", "%q is not a valid resource id", id)
		}
	} else if len(parts) > 2 {
		return store.Op{}, fhir.Errorf(fhir.KindInvalid, "not-supported", "", "a transaction entry writes [type], [type]/[id] or [type]?[search], not %q", e.Request.URL)
	}
	need := map[string]auth.Access{http.MethodPost: auth.Create, http.MethodPut: auth.Update, http.MethodDelete: auth.Delete}[e.Request.Method]
	if need == 0 {
		return store.Op{}, fhir.Errorf(fhir.KindMethodNotAllowed, "not-supported", "", "method %s is not supported in a transaction entry", e.Request.Method)
	}
	if query != "" {
		need |= auth.Search
	}
	if !g.p.Can(typ, need) {
		return store.Op{}, forbidden("this client is not authorised to %s %s resources", accessVerb(need&^auth.Search), typ)
	}
	if e.Request.Method == http.MethodDelete {
		op := store.Op{Kind: store.OpDelete, Type: typ, ID: id}
		if query != "" {
			if op.Condition, err = s.condition(c, typ, query, auth.Delete); err != nil {
				return op, err
			}
		} else if id == "" {
			return op, fhir.Errorf(fhir.KindInvalid, "invalid", "", "a DELETE entry needs [type]/[id] or [type]?[search]")
		}
		if op.IfMatch, err = parseVersion("ifMatch", e.Request.IfMatch); err != nil {
			return op, err
		}
		return op, s.replaceable(c, &op, auth.Delete, nil)
	}
	if len(e.Resource) == 0 {
		return store.Op{}, fhir.Errorf(fhir.KindInvalid, "required", "resource", "a %s entry needs a resource", e.Request.Method)
	}
	r, err := fhir.Decode(e.Resource)
	if err != nil {
		return store.Op{}, err
	}
	if r.Type != typ {
		return store.Op{}, fhir.Errorf(fhir.KindInvalid, "invalid", "resourceType", "resourceType %q does not match the type %q of the entry's url", r.Type, typ)
	}
	if err := fhir.Validate(r); err != nil {
		return store.Op{}, err
	}
	kind, access := store.OpCreate, auth.Create
	if e.Request.Method == http.MethodPut {
		kind, access = store.OpUpdate, auth.Update
	}
	if err := g.writable(typ, r.Object, access); err != nil {
		return store.Op{}, err
	}
	op := store.NewWrite(kind, r, s.cfg.UniqueRules)
	op.FullURL = e.FullURL
	switch {
	case kind == store.OpCreate:
		if id != "" || query != "" {
			return op, fhir.Errorf(fhir.KindInvalid, "invalid", "", "a POST entry's url is the type alone, not %q", e.Request.URL)
		}
		op.ID = newID()
		if e.Request.IfNoneExist != "" {
			if op.IfNoneExist, err = s.condition(c, typ, strings.TrimPrefix(e.Request.IfNoneExist, typ+"?"), auth.Search); err != nil {
				return op, err
			}
		}
	case query != "":
		if op.Condition, err = s.condition(c, typ, query, auth.Update); err != nil {
			return op, err
		}
		if err := s.mayCreateIfNoMatch(c, op.Condition, r.Object); err != nil {
			return op, err
		}
		op.ClientID = op.ID != ""
		if op.ID == "" {
			op.ID = newID()
		}
	default:
		if id == "" || op.ID != id {
			return op, fhir.Errorf(fhir.KindInvalid, "invalid", "id", "the resource id %q must be present and equal to the id %q in the entry's url", op.ID, id)
		}
		if op.IfMatch, err = parseVersion("ifMatch", e.Request.IfMatch); err != nil {
			return op, err
		}
		if err := s.replaceable(c, &op, auth.Update, r.Object); err != nil {
			return op, err
		}
	}
	return op, nil
}

// entryMembers are the members of a Bundle entry, as error expressions name them.
var entryMembers = map[string]bool{"fullUrl": true, "resource": true, "request": true, "response": true, "search": true}

// entryError says which entry of a Bundle failed: the issues' expressions are put under
// Bundle.entry[i] and their diagnostics prefixed with the entry.
func entryError(i int, err error) error {
	fe := asFHIRError(err)
	out := *fe
	out.Issues = make([]fhir.Issue, len(fe.Issues))
	for k, is := range fe.Issues {
		is.Diagnostics = fmt.Sprintf("entry %d: %s", i, is.Diagnostics)
		exprs := make([]string, len(is.Expression))
		for j, x := range is.Expression {
			first, rest, _ := strings.Cut(x, ".")
			switch {
			case fhir.IsResourceType(first): // "Patient.gender" of the entry's resource
				exprs[j] = fmt.Sprintf("Bundle.entry[%d].resource.%s", i, rest)
			case entryMembers[first]: // the entry's own fullUrl, resource, request
				exprs[j] = fmt.Sprintf("Bundle.entry[%d].%s", i, x)
			default: // a member of the resource ("id", "resourceType")
				exprs[j] = fmt.Sprintf("Bundle.entry[%d].resource.%s", i, x)
			}
		}
		is.Expression = exprs
		out.Issues[k] = is
	}
	return &out
}
