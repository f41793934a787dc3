package storetest

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// expand replaces the placeholders of a case with values from the dataset as stored:
//
//	{nhs:pat-001}        the NHS number of Patient/pat-001
//	{ods:org-prac-01}    the ODS code of an Organization
//	{nhslist:101-160}    the NHS numbers of the Patients pat-101 to pat-160 that have one,
//	                     comma-separated
//	{lu:Type/id}         the meta.lastUpdated of a resource, as stored
//	{lu+1ms:Type/id}     the same, one millisecond later ({lu-1ms:…} earlier)
//	{luday:Type/id}      the London day of that instant, YYYY-MM-DD
func (d *searchData) expand(raw string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(raw, '{')
		if i < 0 {
			b.WriteString(raw)
			return b.String(), nil
		}
		j := strings.IndexByte(raw[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unclosed placeholder in %q", raw)
		}
		v, err := d.placeholder(raw[i+1 : i+j])
		if err != nil {
			return "", err
		}
		b.WriteString(raw[:i])
		b.WriteString(url.QueryEscape(v))
		raw = raw[i+j+1:]
	}
}

func (d *searchData) placeholder(p string) (string, error) {
	kind, arg, _ := strings.Cut(p, ":")
	switch kind {
	case "nhslist":
		var from, to int
		if _, err := fmt.Sscanf(arg, "%d-%d", &from, &to); err != nil {
			return "", fmt.Errorf("placeholder {%s}: %v", p, err)
		}
		var list []string
		for i := from; i <= to; i++ {
			if v, err := d.placeholder(fmt.Sprintf("nhs:pat-%03d", i)); err == nil {
				list = append(list, v)
			}
		}
		return strings.Join(list, ","), nil
	case "nhs", "ods":
		typ, sys := "Patient", fhir.SystemNHSNumber
		if kind == "ods" {
			typ, sys = "Organization", fhir.SystemODS
		}
		// From any version written, so that a deleted resource's number can be searched for.
		for _, g := range d.written {
			if g.typ != typ || g.id != arg {
				continue
			}
			for _, v := range g.versions {
				ids, _ := v["identifier"].([]any)
				for _, x := range ids {
					if m, _ := x.(map[string]any); m["system"] == sys {
						return m["value"].(string), nil
					}
				}
			}
		}
		return "", fmt.Errorf("placeholder {%s}: %s/%s has no identifier in %s", p, typ, arg, sys)
	case "lu", "lu+1ms", "lu-1ms", "luday":
		rec, ok := d.recs[arg]
		if !ok {
			return "", fmt.Errorf("placeholder {%s}: %s is not live", p, arg)
		}
		at := rec.LastUpdated
		switch kind {
		case "lu+1ms":
			at = at.Add(time.Millisecond)
		case "lu-1ms":
			at = at.Add(-time.Millisecond)
		case "luday":
			return at.In(londonZone).Format(time.DateOnly), nil
		}
		return fhir.FormatInstant(at), nil
	}
	return "", fmt.Errorf("unknown placeholder {%s}", p)
}
