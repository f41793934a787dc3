package api

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
	"github.com/nimsproject/nims/store"
)

// The searchset Bundle (https://hl7.org/fhir/R4/search.html#return), in the shape the NHS
// APIs use (reference/nhs-england.md §1.4): entry always present, the matches
// (search.mode match) then what _include and _revinclude added (include), then one
// OperationOutcome (outcome) when the server ignored or questioned part of the request.

// searchset builds the Bundle of one page. path is the search's URL below the base
// ("/Immunization", "/Patient/123/Immunization"); params are the parameters applied, for
// the self and next links; extra are warnings to add to the search's own (the policy's).
func searchset(base, path string, params url.Values, q *search.Query, res store.SearchResult, extra []fhir.Issue) (bundle, error) {
	b := bundle{ResourceType: "Bundle", Type: "searchset", Entry: []bundleEntry{}}
	if res.Total >= 0 {
		total := res.Total
		b.Total = &total
	}
	self := base + path + "?"
	b.Link = []bundleLink{{Relation: "self", URL: self + linkQuery(params)}}
	if q.Summary != search.SummaryCount {
		if res.Next != "" {
			b.Link = append(b.Link, bundleLink{Relation: "next", URL: self + withCursor(params, res.Next)})
		}
		for _, set := range []struct {
			recs []store.Record
			mode string
		}{{res.Records, "match"}, {res.Included, "include"}} {
			for _, rec := range set.recs {
				js, err := subset(q, rec, set.mode == "match")
				if err != nil {
					return bundle{}, err
				}
				b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + rec.Type + "/" + rec.ID, Resource: js, Search: &entrySearch{Mode: set.mode}})
			}
		}
	}
	if issues := append(searchIssues(q, res), extra...); len(issues) > 0 {
		oo, err := marshal(outcomeJSON(issues))
		if err != nil {
			return bundle{}, fhir.Wrap("api.searchset", err)
		}
		b.Entry = append(b.Entry, bundleEntry{FullURL: "urn:uuid:" + uuid.NewString(), Resource: oo, Search: &entrySearch{Mode: "outcome"}})
	}
	return b, nil
}

// searchIssues are the warnings of a search that succeeded: parameters ignored under
// lenient handling, values dropped, includes cut at the cap.
func searchIssues(q *search.Query, res store.SearchResult) []fhir.Issue {
	var out []fhir.Issue
	for _, text := range q.Ignored {
		out = append(out, fhir.Issue{Severity: fhir.SeverityWarning, Code: "not-supported", Diagnostics: text})
	}
	for _, text := range q.Warnings {
		out = append(out, fhir.Issue{Severity: fhir.SeverityWarning, Code: "invalid", Diagnostics: text})
	}
	if res.Truncated {
		out = append(out, fhir.Issue{Severity: fhir.SeverityWarning, Code: "incomplete",
			Diagnostics: "_include and _revinclude added more resources than this page may hold; only the first " +
				strconv.Itoa(store.MaxIncluded) + " are included. Ask for a smaller _count."})
	}
	return out
}

// subset applies _summary (to every entry) and _elements (to the matches: the names are
// elements of the searched type) to a record, marking what it cuts SUBSETTED.
func subset(q *search.Query, rec store.Record, match bool) ([]byte, error) {
	keep := keepFilter(q, rec.Type, match)
	if keep == nil {
		return rec.JSON, nil
	}
	js, err := fhir.Subset(rec.JSON, keep)
	if err != nil {
		return nil, fhir.Wrap("api.subset", err)
	}
	return js, nil
}

// keepFilter says which top-level members of a resource of type typ a search returns;
// nil means all of them. https://hl7.org/fhir/R4/search.html#summary and #elements:
//   - _summary=true: the elements R4 marks isSummary, and the mandatory ones;
//   - _summary=text: text, id, meta and the mandatory elements;
//   - _summary=data: everything but text;
//   - _elements: the elements listed, and the mandatory ones (resourceType, id and meta
//     are always kept).
//
// An element is named either way: occurrence or occurrenceDateTime.
func keepFilter(q *search.Query, typ string, match bool) func(string) bool {
	var names []string
	switch q.Summary {
	case search.SummaryTrue:
		names = append(fhir.SummaryElements(typ), fhir.MandatoryElements(typ)...)
	case search.SummaryText:
		names = append([]string{"text", "id", "meta"}, fhir.MandatoryElements(typ)...)
	case search.SummaryData:
		return func(member string) bool { return fhir.ElementName(typ, member) != "text" }
	default:
		if len(q.Elements) == 0 || !match {
			return nil
		}
		names = append(append(names, q.Elements...), fhir.MandatoryElements(typ)...)
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return func(member string) bool {
		el := fhir.ElementName(typ, member)
		return el != "" && (set[el] || set[member] || set[strings.TrimPrefix(member, "_")])
	}
}
