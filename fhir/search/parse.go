package search

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nimsproject/nims/fhir"
)

// ParseOptions are the request-level settings Parse needs besides the parameters.
type ParseOptions struct {
	// Strict is Prefer: handling=strict: an unknown or unsupported parameter is a 400
	// instead of being ignored with a note in Query.Ignored.
	Strict bool
	// DefaultCount is the page size when _count is absent; MaxCount caps _count (0: no cap).
	DefaultCount, MaxCount int
	// Now is the request's clock; nil means time.Now. Parse itself needs none: date ap
	// is widened where it is matched (ApproxDateRange, with Matcher.Now).
	Now func() time.Time
}

// maxDepth bounds chains and _has nesting together. The data has at most a few links
// (Immunization → Patient → Organization); the cap keeps a hostile key from costing a
// join per character.
const maxDepth = 8

// Parse validates the search parameters of a search on resource type typ and returns the
// typed query (https://hl7.org/fhir/R4/search.html). It is the only place that validates:
// Match and the store backends may assume what it returns is well formed.
//
// Outcomes: a *fhir.Error of fhir.KindInvalid listing every problem found, each with
// issue code "invalid" (a malformed name or value, a modifier that does not apply to
// the parameter's type) or "not-supported" (a FHIR feature this server does not
// implement, or, in strict mode, an unknown parameter). A known parameter with an
// unsupported modifier is an error in either mode: ignoring it would silently widen the
// results. In lenient mode unknown parameter names, and the FHIR parameters this server
// does not implement, are skipped and described in Query.Ignored; the NHS API's
// warnings about values go to Query.Warnings.
func Parse(typ string, params url.Values, opts ParseOptions) (*Query, error) {
	p := &parser{typ: typ, opts: opts, q: &Query{Type: typ}}
	if p.opts.Now == nil {
		p.opts.Now = time.Now
	}
	p.q.Count = capCount(opts.DefaultCount, opts.MaxCount)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	// Sorted, so that the Filters, the diagnostics and Encode's output are deterministic.
	sort.Strings(keys)
	for _, key := range keys {
		if len(params[key]) == 0 {
			continue
		}
		p.key = key
		p.param(key, params[key])
	}
	p.finish()
	if err := p.err(); err != nil {
		return nil, err
	}
	return p.q, nil
}

type parser struct {
	typ  string
	opts ParseOptions
	q    *Query
	key  string // the parameter key being parsed, for diagnostics

	errs []*fhir.Error

	// the programme's -date.from and -date.to, checked against each other at the end
	dateFrom, dateTo *Value
	// set by _count=0, applied at the end so that _summary cannot undo it
	countOnly bool
}

// silentlyIgnored are the parameters FHIR defines for every interaction that do not
// change what a search finds (https://hl7.org/fhir/R4/http.html#parameters).
var silentlyIgnored = map[string]bool{"_format": true, "_pretty": true}

// unsupportedParams are the FHIR search parameters this server does not implement.
var unsupportedParams = map[string]bool{
	"_contained": true, "_containedType": true, "_query": true, "_filter": true,
	"_text": true, "_content": true, "_list": true,
}

// param dispatches one parameter key with all its values.
func (p *parser) param(key string, vals []string) {
	base, mod, hasMod := strings.Cut(key, ":")
	switch {
	case silentlyIgnored[base]:
	case unsupportedParams[base]:
		p.skip(unsupportedf("search parameter %s is not supported by this server", echo(key)),
			"search parameter "+echo(key)+" is not supported by this server and was ignored")
	case resultParams[base] != nil:
		if hasMod && !resultParamMods[base] {
			p.fail(invalidf("search parameter %s takes no modifier", echo(key)))
			return
		}
		resultParams[base](p, mod, vals)
	case programmeParams[p.typ][base] != nil:
		if !programmeParams[p.typ][base](p, key, mod, hasMod, vals) {
			p.filters(key, vals)
		}
	default:
		p.filters(key, vals)
	}
}

// filters parses key=value for a filtering parameter: each value (repetition = AND) is
// one Filter.
func (p *parser) filters(key string, vals []string) {
	for _, raw := range vals {
		f, known, err := p.resolve(p.typ, key, 0)
		if err != nil {
			p.fail(err)
			return
		}
		if !known {
			p.unknown(key)
			return
		}
		leaf := leafOf(&f)
		if leaf.Values, err = p.values(leaf, raw); err != nil {
			p.fail(err)
			continue
		}
		p.q.Filters = append(p.q.Filters, f)
	}
}

// leafOf returns the filter at the end of f's chain or reverse chain: the one that has
// the values.
func leafOf(f *Filter) *Filter {
	for {
		switch {
		case f.Chain != nil:
			f = f.Chain
		case f.Has != nil:
			f = &f.Has.Filter
		default:
			return f
		}
	}
}

// finish applies the checks and settings that need every parameter seen.
func (p *parser) finish() {
	if p.dateFrom != nil && p.dateTo != nil && p.dateFrom.Low > p.dateTo.Low {
		p.fail(invalidf("Search parameter -date.from must not be later than -date.to."))
	}
	if p.countOnly {
		p.q.Summary = SummaryCount
	}
}

func (p *parser) unknown(key string) {
	p.skip(unsupportedf("search parameter %s is not supported for %s", echo(key), p.typ),
		"search parameter "+echo(key)+" is not supported for "+p.typ+" and was ignored")
}

// skip records a parameter this server does not handle: an error in strict mode, a note
// in lenient mode.
func (p *parser) skip(strict *fhir.Error, note string) {
	if p.opts.Strict {
		p.fail(strict)
		return
	}
	p.q.Ignored = append(p.q.Ignored, note)
}

func (p *parser) warn(format string, args ...any) {
	p.q.Warnings = append(p.q.Warnings, fmt.Sprintf(format, args...))
}

func (p *parser) fail(err *fhir.Error) { p.errs = append(p.errs, err) }

// err joins every problem found into one error, so that a client fixing a request sees
// them all at once.
func (p *parser) err() error {
	switch len(p.errs) {
	case 0:
		return nil
	case 1:
		return p.errs[0]
	}
	e := &fhir.Error{Kind: fhir.KindInvalid}
	var details []string
	for _, x := range p.errs {
		e.Issues = append(e.Issues, x.Issues...)
		details = append(details, x.Details)
	}
	e.Details = strings.Join(details, "; ")
	return e
}

// invalid is a malformed name or value; unsupported a FHIR feature this server lacks.
// By the convention of fhir.Errorf the format (the loggable Details) carries no client
// values: they go in args, into the response's diagnostics only.
func invalidf(format string, args ...any) *fhir.Error {
	return fhir.Errorf(fhir.KindInvalid, "invalid", "", format, args...)
}

func unsupportedf(format string, args ...any) *fhir.Error {
	return fhir.Errorf(fhir.KindInvalid, "not-supported", "", format, args...)
}

// maxEcho bounds how much of a client's value a diagnostic repeats.
const maxEcho = 64

// echo renders a client value for a diagnostic: quoted, and cut to maxEcho bytes.
func echo(s string) string {
	if c := clip(s); len(c) < len(s) {
		return strconv.Quote(c) + "…"
	}
	return strconv.Quote(s)
}

// clip cuts s to at most maxEcho bytes, at a character boundary.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func capCount(n, max int) int {
	if max > 0 && n > max {
		return max
	}
	return n
}
