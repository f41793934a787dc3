package api

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/auth"
	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// Authorisation. Every FHIR route but the CapabilityStatement needs a bearer token
// (authenticate); the route's interaction needs the matching SMART access on its type
// (authorize); and what a request may see is then cut to the caller's policy (guard):
//
//   - scopes: a chain or _has into a type the caller may not search is 403; included
//     resources and history entries of types it may not read are left out;
//   - vaccine types: a client whose Immunization scopes are granular (target-disease, as
//     the NHS API's per-vaccine-type permissions are expressed) searches only its vaccine
//     types, reads and writes only records all of whose target diseases it holds;
//   - GP practices: a gp client sees only patients registered at its ODS codes, and only
//     the records about them;
//   - restricted patients (meta.security R or V) lose address, telecom and GP for roles
//     without a need for them;
//   - the pass role sees minimal fields.
//
// Each rule is applied twice where a query is involved: as a filter added to the search
// (so pages are full and counts right) and as a check on every record returned, which is
// the rule's definition and the only check for reads, includes and history.

const (
	ctxPrincipal = "nims.principal"
	ctxGuard     = "nims.guard"

	roleGP   = "gp"
	rolePass = "pass"
)

// routeAccess is the SMART access each interaction needs on the route's type.
var routeAccess = map[string]auth.Access{
	IRead:              auth.Read,
	IVRead:             auth.Read,
	IHistoryInstance:   auth.Read,
	IHistoryType:       auth.Read,
	ISearchType:        auth.Search,
	ISearchCompartment: auth.Search,
	ICreate:            auth.Create,
	IUpdate:            auth.Update,
	IDelete:            auth.Delete,
	ICondUpdate:        auth.Update | auth.Search,
	ICondDelete:        auth.Delete | auth.Search,
	IImport:            auth.Create | auth.Update, // on every type imported (importable)
	// The programme's feeds, on their own type; a demographic feed needs more (feedAccess).
	IDemographicsFeed: auth.Create | auth.Update,
	IEthnicityFeed:    auth.Update,
	IPriorityList:     auth.Create | auth.Update,
}

// feedAccess is the access a feed needs on the types it writes besides its own: a
// demographic feed's superseded number moves the person's records (Immunizations, Flags,
// Communications) to the new Patient, and a death stops their invitations.
var feedAccess = map[string][]typeAccess{
	IDemographicsFeed: {{"Communication", auth.Update}, {"Flag", auth.Update}, {"Immunization", auth.Update}},
}

type typeAccess struct {
	typ    string
	access auth.Access
}

// authenticate admits a request with a valid bearer token, within its client's rate.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		scheme, token, _ := strings.Cut(c.GetHeader("Authorization"), " ")
		token = strings.TrimSpace(token)
		refuse := func(err error) {
			if wait, ok := s.anon.take(c.ClientIP()); !ok {
				throttled(c, wait)
				return
			}
			fail(c, err)
		}
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			c.Header("WWW-Authenticate", `Bearer realm="nims"`)
			refuse(fhir.Errorf(fhir.KindUnauthorized, "login", "",
				"this request needs an access token (Authorization: Bearer …); see /.well-known/smart-configuration"))
			return
		}
		p, err := s.cfg.Auth.Verify(token)
		if err != nil {
			c.Header("WWW-Authenticate", `Bearer realm="nims", error="invalid_token"`)
			refuse(err)
			return
		}
		c.Set(ctxPrincipal, p)
		if wait, ok := s.limits.take(p.ClientID); !ok {
			throttled(c, wait)
			return
		}
		c.Next()
	}
}

// throttled answers 429 with the time until the next request would be admitted.
func throttled(c *gin.Context, wait time.Duration) {
	c.Header("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	fail(c, fhir.Errorf(fhir.KindTooManyRequests, "throttled", "",
		"more requests than the rate limit allows; retry after the time in Retry-After"))
}

// authorize checks the access the route's interaction needs on its type. Validation
// needs the right to create or update; system history is cut per entry.
func authorize(name string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		typ := c.Param("type")
		ok := true
		switch name {
		case IValidate:
			ok = p.Can(typ, auth.Create) || p.Can(typ, auth.Update)
		case IHistorySystem:
		case IImport, IImportStatus, IImportCancel, IBatchFile, IBatchFileStatus:
			// The types imported are in the body (importable), a batch file's vaccine type
			// in its name (batchPermissions); a job's status is its client's (ownJob).
		case ISearchCompartment:
			ok = p.Can(c.Param("memberType"), auth.Search) && p.Can(typ, auth.Read)
		case IDemographicsFeed, IEthnicityFeed, IPriorityList:
			if missing, allowed := feedAllowed(p, name, typ); !allowed {
				fail(c, forbidden("this client is not authorised to run $%s: it needs to %s %s resources (not limited by vaccine type)",
					typeOperations[name].name, verbs(missing.access), missing.typ))
				return
			}
		default:
			if need, known := routeAccess[name]; known {
				ok = p.Can(typ, need)
			}
		}
		if !ok {
			fail(c, forbidden("this client is not authorised to %s %s resources", verb(name), typ))
			return
		}
		c.Next()
	}
}

func verb(interaction string) string {
	switch interaction {
	case IValidate:
		return "validate"
	case ISearchType, ISearchCompartment:
		return "search"
	}
	return verbs(routeAccess[interaction] &^ auth.Search) // a condition's search is not the verb
}

// verbs names the interactions of a: "update", "create and update".
func verbs(a auth.Access) string {
	var out []string
	for _, one := range []auth.Access{auth.Create, auth.Read, auth.Update, auth.Delete, auth.Search} {
		if a.Has(one) {
			out = append(out, accessVerb(one))
		}
	}
	if len(out) == 0 {
		return "read"
	}
	return strings.Join(out, " and ")
}

// feedAllowed checks the access a feed needs: routeAccess on its type and feedAccess on
// the others, unrestricted, since a feed cannot check each record it moves against a
// vaccine-type limit. When it is refused, missing is the first access it lacks.
func feedAllowed(p *auth.Principal, name, typ string) (missing typeAccess, ok bool) {
	for _, need := range append([]typeAccess{{typ, routeAccess[name]}}, feedAccess[name]...) {
		if _, unrestricted := p.Scopes.Granular(need.typ, need.access); !p.Can(need.typ, need.access) || !unrestricted {
			return need, false
		}
	}
	return typeAccess{}, true
}

func forbidden(format string, args ...any) error {
	return fhir.Errorf(fhir.KindForbidden, "forbidden", "", format, args...)
}

// principal is the caller authenticate admitted.
func principal(c *gin.Context) *auth.Principal {
	v, _ := c.Get(ctxPrincipal)
	p, _ := v.(*auth.Principal)
	if p == nil {
		return &auth.Principal{} // unreachable behind authenticate; allows nothing
	}
	return p
}

// guard is the policy of one request's caller over what it reads and writes, and the
// record of what it touched, for the audit.
type guard struct {
	s   *Server
	ctx context.Context
	p   *auth.Principal

	redact  bool     // restricted patients lose address, telecom and GP
	minimal bool     // pass: minimal fields
	ods     []string // gp: the practices whose patients it sees

	mu        sync.Mutex
	gpOf      map[string]bool // gp: Patient id → registered at one of ods (memo)
	withheld  int             // records left out of the response by the policy
	entities  []string        // what the request touched, for the audit
	patients  []string        // whose data it touched, for the audit
	truncated bool            // more were touched than the audit lists
	noted     map[string]bool // entities and patients already listed
	query     string          // the search or condition, for the audit
}

// openPrincipal is the caller of a server built insecure (benchmark baselines only).
var openPrincipal = func() *auth.Principal {
	sc, _ := auth.ParseScopes("system/*.cruds")
	return &auth.Principal{Role: "admin", Scopes: sc}
}()

// guardOf returns the request's guard, made on first use.
func (s *Server) guardOf(c *gin.Context) *guard {
	if v, ok := c.Get(ctxGuard); ok {
		return v.(*guard)
	}
	p := principal(c)
	if s.cfg.insecure {
		p = openPrincipal
	}
	g := &guard{s: s, ctx: c.Request.Context(), p: p, redact: !auth.NeedsRestrictedDetails(p.Role),
		minimal: p.Role == rolePass}
	if p.Role == roleGP {
		g.ods = p.ODS
		if g.ods == nil {
			g.ods = []string{} // a gp client without practices sees no one
		}
		g.gpOf = map[string]bool{}
	}
	c.Set(ctxGuard, g)
	return g
}

// diseases returns the target-disease codes access a on Immunization is limited to, and
// whether it is limited at all. A granular scope on anything but SNOMED target diseases
// allows nothing: a restriction the server does not understand must not widen access.
func (g *guard) diseases(a auth.Access) (codes []string, limited bool) {
	params, unrestricted := g.p.Scopes.Granular("Immunization", a)
	if unrestricted {
		return nil, false
	}
	for _, v := range params {
		if len(v) != 1 {
			continue
		}
		for _, td := range v["target-disease"] {
			if sys, code, ok := strings.Cut(td, "|"); ok && sys == fhir.SystemSNOMED && code != "" {
				codes = append(codes, code)
			}
		}
	}
	slices.Sort(codes)
	return slices.Compact(codes), true
}

// restrict adds the policy's filters to q, a search or the condition of a conditional
// interaction that needs access a on the records it matches, and refuses chains and _has
// into types the caller may not search.
func (g *guard) restrict(q *search.Query, a auth.Access) error {
	selectsRedacted := false
	for i := range q.Filters {
		f := &q.Filters[i]
		if err := g.checkLinks(q.Type, f); err != nil {
			return err
		}
		selectsRedacted = selectsRedacted || (f.Param != nil && redactedParams[f.Param.Name])
	}
	for _, k := range q.Sort {
		selectsRedacted = selectsRedacted || redactedParams[k.Param.Name]
	}
	if err := g.checkIncludes(q); err != nil {
		return err
	}
	if q.Type == "Patient" && g.redact && selectsRedacted {
		// Found by what is withheld from it, a restricted patient would be located all
		// the same: such a search leaves them out.
		if err := g.addFilter(q, "_security:not", fhir.SystemConfidentiality+"|R,"+fhir.SystemConfidentiality+"|V"); err != nil {
			return err
		}
	}
	if q.Type == "Immunization" {
		if codes, limited := g.diseases(a); limited {
			if len(codes) == 0 {
				return forbidden("this client is not authorised to %s Immunization records of any vaccine type", accessVerb(a))
			}
			vals := make([]string, len(codes))
			for i, c := range codes {
				vals[i] = fhir.SystemSNOMED + "|" + c
			}
			if err := g.addFilter(q, "target-disease", strings.Join(vals, ",")); err != nil {
				return err
			}
		}
	}
	if g.ods != nil && personal(q.Type) {
		if len(g.ods) == 0 {
			return forbidden("this GP client has no registered practice (ODS code), so it may see no patient")
		}
		vals := make([]string, len(g.ods))
		for i, c := range g.ods {
			vals[i] = fhir.SystemODS + "|" + c
		}
		key := "general-practitioner:identifier"
		if q.Type != "Patient" {
			key = compartmentParam[q.Type] + ":Patient.general-practitioner:identifier"
		}
		// A type whose patient link cannot be chained is still cut record by record.
		_ = g.addFilter(q, key, strings.Join(vals, ","))
	}
	return nil
}

// addFilter appends the filter key=value to q.
func (g *guard) addFilter(q *search.Query, key, value string) error {
	extra, err := search.Parse(q.Type, url.Values{key: {value}}, search.ParseOptions{Strict: true})
	if err != nil {
		return fhir.Wrap("api.restrict", err)
	}
	q.Filters = append(q.Filters, extra.Filters...)
	return nil
}

// checkLinks refuses a chain or _has (in a filter on resources of typ) that reaches a
// type the caller may not search, or that would step around a content rule, each of
// which bounds the searched type only:
//   - a client limited to some vaccine types may not reach Immunization through a link;
//   - a gp client may not reach a personal type from a type that is not personal (from a
//     personal type, the practice filter on the searched type already bounds the result);
//   - a client that withholds restricted patients' address, telecom and GP may not select
//     Patients by them through a link.
func (g *guard) checkLinks(typ string, f *search.Filter) error {
	if f.Has != nil {
		if !g.p.Can(f.Has.Type, auth.Search) {
			return forbidden("this client is not authorised to search %s resources, which _has needs", f.Has.Type)
		}
		if err := g.checkReach(typ, f.Has.Type); err != nil {
			return err
		}
		if f.Has.Type == "Patient" && g.redact && f.Has.RefParam != nil && redactedParams[f.Has.RefParam.Name] {
			return forbidden("this client may not select by a patient's %s", f.Has.RefParam.Name)
		}
		return g.checkLinks(f.Has.Type, &f.Has.Filter)
	}
	if f.Chain == nil {
		return nil
	}
	if typ == "Patient" && g.redact && redactedParams[f.Param.Name] {
		return forbidden("this client may not select by a patient's %s", f.Param.Name)
	}
	targets := chainTargets(f)
	for _, t := range targets {
		if !g.p.Can(t, auth.Search) {
			return forbidden("this client is not authorised to search %s resources, which the chain %s needs", t, f.Param.Name)
		}
		if err := g.checkReach(typ, t); err != nil {
			return err
		}
	}
	next := f.TargetType
	if next == "" && len(targets) == 1 {
		next = targets[0]
	}
	if next == "Patient" && g.redact && f.Chain.Param != nil && redactedParams[f.Chain.Param.Name] && f.Chain.Chain == nil {
		return forbidden("this client may not select by a patient's %s", f.Chain.Param.Name)
	}
	return g.checkLinks(next, f.Chain)
}

// checkReach refuses a link from resources of type from to resources of type to that
// would step around a content rule (see checkLinks).
func (g *guard) checkReach(from, to string) error {
	if to == "Immunization" {
		if _, limited := g.diseases(auth.Search); limited {
			return forbidden("this client is limited to some vaccine types, so it may not search through Immunization records (search Immunization directly)")
		}
	}
	if g.ods != nil && personal(to) && !personal(from) {
		return forbidden("a GP client may not search %s resources through patients' records", from)
	}
	return nil
}

// checkIncludes refuses includes that would show what the policy withholds: a restricted
// patient's GP for clients that withhold it.
func (g *guard) checkIncludes(q *search.Query) error {
	if !g.redact {
		return nil
	}
	for _, set := range [][]search.Include{q.Include, q.RevInclude} {
		for _, inc := range set {
			if inc.Type == "Patient" && (inc.Wildcard || inc.Param != nil && redactedParams[inc.Param.Name]) {
				return forbidden("this client may not follow a restricted patient's general practitioner: %s", "_include and _revinclude of Patient:general-practitioner (or Patient:*) are refused")
			}
		}
	}
	return nil
}

// redactedParams are the Patient search parameters over what restricted patients have
// withheld.
var redactedParams = map[string]bool{"address": true, "address-city": true, "address-country": true,
	"address-postalcode": true, "address-state": true, "address-use": true, "phone": true, "email": true,
	"telecom": true, "general-practitioner": true}

// chainTargets are the types a chained filter may pass through.
func chainTargets(f *search.Filter) []string {
	if f.TargetType != "" {
		return []string{f.TargetType}
	}
	return f.Param.Targets
}

// personal reports whether resources of typ are about one patient (the Patient
// compartment, and Patient itself).
func personal(typ string) bool {
	_, ok := compartmentParam[typ]
	return ok
}

// visible reports whether the caller, with access a, may see rec. withheld counts the
// records left out for their type only: counting those cut by a content rule would tell
// the caller that records it may not see exist.
func (g *guard) visible(rec store.Record, a auth.Access) bool {
	if !g.p.Can(rec.Type, a) {
		g.mu.Lock()
		g.withheld++
		g.mu.Unlock()
		return false
	}
	return g.check(rec, a)
}

// check applies the content rules to rec, of a type the caller may access with a.
func (g *guard) check(rec store.Record, a auth.Access) bool {
	if rec.Type == "Patient" && g.ods != nil {
		// Every version of a patient is judged by where the patient is registered now.
		return g.registered(rec.ID)
	}
	codes, limited := []string(nil), false
	if rec.Type == "Immunization" {
		codes, limited = g.diseases(a)
	}
	gp := g.ods != nil && personal(rec.Type)
	if !limited && !gp {
		return true
	}
	if rec.Deleted || len(rec.JSON) == 0 {
		return false // nothing left to prove it is the caller's
	}
	r, err := fhir.Decode(rec.JSON)
	if err != nil {
		return false
	}
	if limited && !vaccineAllowed(r.Object, codes) {
		return false
	}
	return !gp || g.gpVisible(rec.Type, r.Object)
}

// vaccineAllowed reports whether every target disease of an Immunization is one of codes
// (and it names at least one).
func vaccineAllowed(obj map[string]any, codes []string) bool {
	found := 0
	for _, pa := range list(obj["protocolApplied"]) {
		for _, td := range list(member(pa, "targetDisease")) {
			for _, cd := range list(member(td, "coding")) {
				if sys, _ := member(cd, "system").(string); sys != fhir.SystemSNOMED {
					continue
				}
				code, _ := member(cd, "code").(string)
				if _, ok := slices.BinarySearch(codes, code); !ok {
					return false
				}
				found++
			}
		}
	}
	return found > 0
}

// gpVisible reports whether obj, a record of personal type typ other than Patient, is
// about a patient registered at one of the caller's practices.
func (g *guard) gpVisible(typ string, obj map[string]any) bool {
	p := search.LookupParam(typ, compartmentParam[typ])
	if p == nil {
		return false
	}
	for _, e := range p.Extract(obj) {
		if e.RefType == "Patient" && g.registered(e.RefID) {
			return true
		}
	}
	return false
}

// registered reports whether Patient id is registered at one of the caller's practices.
func (g *guard) registered(id string) bool {
	g.mu.Lock()
	ok, known := g.gpOf[id]
	g.mu.Unlock()
	if known {
		return ok
	}
	rec, err := g.s.store.Read(g.ctx, "Patient", id)
	if err == nil {
		if r, err := fhir.Decode(rec.JSON); err == nil {
			ok = g.registeredHere(r.Object)
		}
	}
	g.mu.Lock()
	g.gpOf[id] = ok
	g.mu.Unlock()
	return ok
}

// registeredHere reads the practices of a Patient: generalPractitioner references that
// carry an ODS identifier, as the Personal Demographics Service writes them.
func (g *guard) registeredHere(patient map[string]any) bool {
	for _, ref := range list(patient["generalPractitioner"]) {
		id := member(ref, "identifier")
		if sys, _ := member(id, "system").(string); sys != fhir.SystemODS {
			continue
		}
		if v, _ := member(id, "value").(string); slices.Contains(g.ods, v) {
			return true
		}
	}
	return false
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func member(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

// minimalElements are what the pass role sees of each type it may read: enough to state
// an immunisation status, nothing more.
var minimalElements = map[string][]string{
	"Immunization": {"status", "vaccineCode", "patient", "occurrence", "protocolApplied"},
	"Patient":      {"identifier"},
}

// shape cuts a record to what the caller may see: the pass role's minimal fields, and
// for roles without a need for them, all of a restricted patient but who they are (every
// version, once the current one is restricted).
//
// current says rec is the resource's current version (a read, a search), so the current
// version need not be read again to judge it.
func (g *guard) shape(rec store.Record, current bool) ([]byte, error) {
	typ, js := rec.Type, rec.JSON
	if g.minimal {
		keep := minimalElements[typ]
		return fhir.Subset(js, func(m string) bool { return slices.Contains(keep, fhir.ElementName(typ, m)) })
	}
	if g.redact && typ == "Patient" && (restrictedPatient(js) || !current && g.restrictedNow(rec)) {
		return fhir.Subset(js, func(m string) bool { return restrictedKeep[fhir.ElementName(typ, m)] })
	}
	return js, nil
}

// restrictedKeep are the elements of a restricted patient shown to roles without a need
// for the rest: who the patient is, nothing of where they are or who they see.
var restrictedKeep = map[string]bool{"identifier": true, "active": true, "name": true, "gender": true,
	"birthDate": true, "deceased": true, "link": true}

// restrictedNow reports whether the current version of the patient rec is a version of
// is restricted.
func (g *guard) restrictedNow(rec store.Record) bool {
	cur, err := g.s.store.Read(g.ctx, "Patient", rec.ID)
	if err != nil {
		return false // deleted or gone: the version itself decides
	}
	return cur.Seq != rec.Seq && restrictedPatient(cur.JSON)
}

// restrictedPatient reports whether a Patient carries the confidentiality label R
// (restricted) or V (very restricted), as PDS marks patients whose address is withheld.
func restrictedPatient(js []byte) bool {
	if !strings.Contains(string(js), "security") {
		return false // no label: skip decoding
	}
	r, err := fhir.Decode(js)
	if err != nil {
		return true // unreadable: err towards withholding
	}
	for _, l := range list(member(r.Object["meta"], "security")) {
		sys, _ := member(l, "system").(string)
		code, _ := member(l, "code").(string)
		if sys == fhir.SystemConfidentiality && (code == "R" || code == "V") {
			return true
		}
	}
	return false
}

// writable checks a resource the caller is about to write (or the current version it is
// about to replace or delete) against its vaccine-type permissions for access a.
func (g *guard) writable(typ string, obj map[string]any, a auth.Access) error {
	if typ != "Immunization" || obj == nil {
		return nil
	}
	codes, limited := g.diseases(a)
	if limited && !vaccineAllowed(obj, codes) {
		return forbidden("Unauthorized request for vaccine type: this client may not %s Immunization records of this vaccine type", accessVerb(a))
	}
	return nil
}

func accessVerb(a auth.Access) string {
	switch a {
	case auth.Create:
		return "create"
	case auth.Update:
		return "update"
	case auth.Delete:
		return "delete"
	case auth.Search:
		return "search"
	}
	return "read"
}

// maxBuckets bounds a limiter's memory: beyond it, buckets that have refilled (their
// client idle long enough to be as new) are dropped.
const maxBuckets = 100_000

// prune drops the buckets that are full again. If all are in use, the limiter forgets
// them all rather than grow: a flood from that many addresses is beyond per-address limits.
func (l *limiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}

// limiter is a token bucket per key (a client, an address): rate requests a second,
// bursts of burst.
type limiter struct {
	rate, burst float64
	mu          sync.Mutex
	buckets     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	if burst < 1 {
		burst = int(rate) + 1
	}
	return &limiter{rate: rate, burst: float64(burst), buckets: map[string]*bucket{}}
}

// take spends one token of client's bucket; when none is left it says how long until one is.
func (l *limiter) take(client string) (wait time.Duration, ok bool) {
	if l == nil || l.rate <= 0 {
		return 0, true
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[client] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}

// keep returns the records the caller may see with access a, each cut to what it may see
// of it, and notes them for the audit.
func (g *guard) keep(recs []store.Record, a auth.Access, current bool) ([]store.Record, error) {
	out := recs[:0]
	for _, rec := range recs {
		if !g.visible(rec, a) {
			continue
		}
		if !rec.Deleted {
			js, err := g.shape(rec, current)
			if err != nil {
				return nil, err
			}
			rec.JSON = js
		}
		g.touched(rec)
		out = append(out, rec)
	}
	return out, nil
}

// issues are the warnings the policy adds to a searchset or history Bundle.
func (g *guard) issues() []fhir.Issue {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.withheld == 0 {
		return nil
	}
	return []fhir.Issue{{Severity: fhir.SeverityWarning, Code: "suppressed", Diagnostics: "Resources of types this client is not authorised to read were withheld from this response."}}
}
