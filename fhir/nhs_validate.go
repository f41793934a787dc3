package fhir

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// nhsNow is the clock of the "not in the future" rules; tests replace it.
var nhsNow = time.Now

// nhsIssues returns the problems NHS England and UK Core rules find in r, a resource of
// any type that has passed the R4 structure checks. All problems are returned, each with
// an issue code and the FHIRPath of the element at fault:
//   - every Identifier with system SystemNHSNumber, wherever it appears (the resource's own
//     identifiers, Reference.identifier, contained resources, Bundle entries), must hold a
//     valid NHS number; every Identifier with system SystemODS an ODS-shaped code;
//   - every Immunization, wherever it appears, must meet UK Core's ukcore-imm-001 (we are a
//     UK service, so the invariant holds whether or not the profile is declared);
//   - an Immunization that declares ProfileUKCoreImmunization must also meet the NHS
//     Immunisation API's rules, with NIMS's departures (ukcore_immunization.go).
func nhsIssues(r *Resource) Issues {
	var is Issues
	nhsWalk(r.Object, r.Type, &is)
	return is
}

// nhsWalk visits every object in v. Members are visited in name order so that the issues
// come out in the same order on every run.
func nhsWalk(v any, path string, is *Issues) {
	switch x := v.(type) {
	case map[string]any:
		nhsCheckObject(x, path, is)
		for _, k := range slices.Sorted(maps.Keys(x)) {
			nhsWalk(x[k], path+"."+k, is)
		}
	case []any:
		for i, e := range x {
			nhsWalk(e, path+"["+strconv.Itoa(i)+"]", is)
		}
	}
}

func nhsCheckObject(m map[string]any, path string, is *Issues) {
	// Identifier and ContactPoint are the types with a string system and a string value;
	// a ContactPoint's system is a code (phone, email), never one of these URIs.
	if sys, ok := m["system"].(string); ok {
		if val, ok := m["value"].(string); ok {
			switch {
			case sys == SystemNHSNumber && !ValidNHSNumber(val):
				is.Add("value", path+".value", "%q is not a valid NHS number", path+".value")
			case sys == SystemODS && !ValidODSCode(val):
				is.Add("value", path+".value", "%q is not a valid ODS organisation code (3 to 9 upper-case letters and digits)", path+".value")
			}
		}
	}
	if m["resourceType"] == "Immunization" {
		// ukcore-imm-001: (status != 'not-done') or (status = 'not-done' and statusReason.exists())
		if m["status"] == "not-done" && len(nhsObj(m["statusReason"])) == 0 {
			is.Add("invariant", path, "ukcore-imm-001: an Immunization with status 'not-done' must have a statusReason saying why the vaccination was not given")
		}
		if nhsDeclaresProfile(m, ProfileUKCoreImmunization) {
			ukImm{m: m, path: path, is: is}.check()
		}
	}
}

// nhsDeclaresProfile reports whether the resource object m lists canonical in
// meta.profile, with or without a |version.
func nhsDeclaresProfile(m map[string]any, canonical string) bool {
	for _, p := range nhsArr(nhsObj(m["meta"])["profile"]) {
		s := nhsStr(p)
		if s == canonical || len(s) > len(canonical) && s[:len(canonical)+1] == canonical+"|" {
			return true
		}
	}
	return false
}

func nhsObj(v any) map[string]any { m, _ := v.(map[string]any); return m }
func nhsArr(v any) []any          { a, _ := v.([]any); return a }
func nhsStr(v any) string         { s, _ := v.(string); return s }

// The NHS Immunisation API's date formats: a full date, or a full date and time to the
// second (fraction optional) with an offset. FHIR's partial dates (2021, 2021-01) and times
// without seconds are refused: a vaccination record needs its day.
var (
	nhsDateRE     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	nhsDateTimeRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)
)

// nhsParseDate parses a full date, YYYY-MM-DD, rejecting impossible days (2023-02-29).
func nhsParseDate(s string) (time.Time, bool) {
	if !nhsDateRE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// nhsParseDateTime parses a full date or a full date-time with offset. dateOnly says
// which; offset is the offset as written ("" for a date, "Z" or "+01:00").
func nhsParseDateTime(s string) (t time.Time, dateOnly bool, offset string, ok bool) {
	if t, ok := nhsParseDate(s); ok {
		return t, true, "", true
	}
	if !nhsDateTimeRE.MatchString(s) {
		return time.Time{}, false, "", false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false, "", false
	}
	if s[len(s)-1] == 'Z' {
		return t, false, "Z", true
	}
	return t, false, s[len(s)-6:], true
}

// nhsFuture reports whether t is after now. A date alone is in the future only once it is
// after today's date in the UK; the comparison uses UTC+1, which is never behind UK time,
// so a vaccination given just after midnight BST is not refused for being "tomorrow" in UTC.
func nhsFuture(t time.Time, dateOnly bool) bool {
	now := nhsNow()
	if !dateOnly {
		return t.After(now)
	}
	uk := now.In(time.FixedZone("UTC+1", 3600))
	today := time.Date(uk.Year(), uk.Month(), uk.Day(), 0, 0, 0, 0, time.UTC)
	return t.After(today)
}
