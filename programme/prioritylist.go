package programme

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Priority-group lists. A list names the people in one priority group (its SNOMED code
// and category) for a period: it is loaded as one active Flag per person, identified by
// the group and the person's NHS number. A new version of the list replaces the previous
// one: people who are on it and have no active Flag of the group get one; active Flags of
// the group whose person is not on it are ended (status inactive, period.end set), not
// deleted, so that who was in which group when stays in the history. Loading the same
// list again writes nothing.

// SystemPriorityGroupFlag identifies a priority-group Flag: value "{code}-{NHS number}".
const SystemPriorityGroupFlag = "https://nims.example/Id/priority-group-flag"

// SystemFlagCategory holds the programme's Flag categories.
const SystemFlagCategory = "https://nims.example/priority-category"

// FlagCategories are the codes of SystemFlagCategory (DESIGN: the programme in FHIR).
var FlagCategories = []string{"clinical-risk", "pregnant", "shielded", "health-care-worker",
	"social-care-worker", "care-home-resident", "care-home-worker", "unpaid-carer", "other"}

// PriorityList describes one version of a list.
type PriorityList struct {
	Code     string // SNOMED CT code of the group (Flag.code)
	Display  string // its display, optional
	Category string // one of FlagCategories
	Start    time.Time
	End      time.Time // zero: open-ended
}

func (l PriorityList) check() error {
	if !fhir.ValidSNOMEDCode(l.Code) {
		return invalid("the group's code %q is not a SNOMED CT code", l.Code)
	}
	if !slices.Contains(FlagCategories, l.Category) {
		return invalid("the category %q is not one of %s", l.Category, strings.Join(FlagCategories, ", "))
	}
	if l.Start.IsZero() {
		return invalid("the list needs the start of its period")
	}
	if !l.End.IsZero() && l.End.Before(l.Start) {
		return invalid("the list's period ends before it starts")
	}
	return nil
}

// ListReport is what loading a list did.
type ListReport struct {
	Listed    int64 // valid NHS numbers on the list
	Flagged   int64 // Flags created
	Kept      int64 // already flagged
	Ended     int64 // Flags ended: no longer on the list
	Unmatched int64 // NHS numbers of people NIMS does not hold (flagged by identifier only)
	Failed    int64
	Errors    []LineError
}

// ApplyPriorityList loads a version of a list from r: one NHS number per line (a header
// line, blank lines and anything after a comma or pipe are ignored, so a CSV whose first
// column is the number serves). Memory: eight bytes per person on the list.
func ApplyPriorityList(ctx context.Context, st store.Store, list PriorityList, r io.Reader, now time.Time) (ListReport, error) {
	var rep ListReport
	if err := list.check(); err != nil {
		return rep, err
	}
	numbers, err := readNumbers(r, &rep)
	if err != nil {
		return rep, err
	}
	rep.Listed = int64(len(numbers))
	const batch = 200
	for i := 0; i < len(numbers); i += batch {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if err := flagBatch(ctx, st, list, numbers[i:min(i+batch, len(numbers))], &rep); err != nil {
			return rep, err
		}
	}
	return rep, endUnlisted(ctx, st, list, numbers, now, &rep)
}

// readNumbers reads the list's NHS numbers, sorted, without repeats.
func readNumbers(r io.Reader, rep *ListReport) ([]uint64, error) {
	var out []uint64
	sc := bufio.NewScanner(r)
	var line int64
	for sc.Scan() {
		line++
		field := sc.Bytes()
		if i := bytes.IndexAny(field, ",|"); i >= 0 {
			field = field[:i]
		}
		s := strings.Trim(strings.TrimSpace(string(field)), `"`)
		s = strings.ReplaceAll(s, " ", "")
		if s == "" || (line == 1 && !isDigits(s)) {
			continue // blank, or a header
		}
		if !fhir.ValidNHSNumber(s) {
			rep.Failed++
			if len(rep.Errors) < 1000 {
				rep.Errors = append(rep.Errors, LineError{Line: line, Err: invalid("%q is not a valid NHS number", s)})
			}
			continue
		}
		n, _ := strconv.ParseUint(s, 10, 64)
		out = append(out, n)
	}
	if err := scanErr(sc.Err(), line, bufio.MaxScanTokenSize); err != nil {
		return nil, err
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func isDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

func nhsString(n uint64) string { return fmt.Sprintf("%010d", n) }

func flagKey(code, nhs string) string { return code + "-" + nhs }

// flagBatch gives each person of numbers an active Flag of the group unless they have one.
func flagBatch(ctx context.Context, st store.Store, list PriorityList, numbers []uint64, rep *ListReport) error {
	ops := make([]store.Op, 0, len(numbers))
	for _, n := range numbers {
		nhs := nhsString(n)
		p, err := patientByNHS(ctx, st, nhs)
		if err != nil {
			return err
		}
		subject := obj{"identifier": obj{"system": fhir.SystemNHSNumber, "value": nhs}}
		if p != nil {
			subject["reference"] = "Patient/" + p.rec.ID
		} else {
			rep.Unmatched++
		}
		flag := obj{
			"resourceType": "Flag",
			"identifier":   []any{obj{"system": SystemPriorityGroupFlag, "value": flagKey(list.Code, nhs)}},
			"status":       "active",
			"category":     []any{obj{"coding": []any{obj{"system": SystemFlagCategory, "code": list.Category}}}},
			"code":         obj{"coding": []any{codingOf(list)}},
			"subject":      subject,
			"period":       period(list),
		}
		op, err := writeOp(store.OpCreate, newID(), flag)
		if err != nil {
			return err
		}
		cond, err := criteria("Flag", "identifier="+SystemPriorityGroupFlag+"|"+flagKey(list.Code, nhs)+"&status=active")
		if err != nil {
			return err
		}
		op.IfNoneExist = cond
		ops = append(ops, op)
	}
	results, err := st.Transaction(ctx, ops)
	if err != nil {
		var oe *store.OpError
		if errors.As(err, &oe) {
			return fmt.Errorf("NHS number %s: %w", nhsString(numbers[oe.Index]), oe.Err)
		}
		return err
	}
	for _, r := range results {
		if r.Outcome == store.Existing {
			rep.Kept++
		} else {
			rep.Flagged++
		}
	}
	return nil
}

func codingOf(l PriorityList) obj {
	c := obj{"system": fhir.SystemSNOMED, "code": l.Code}
	if l.Display != "" {
		c["display"] = l.Display
	}
	return c
}

func period(l PriorityList) obj {
	p := obj{"start": l.Start.UTC().Format("2006-01-02")}
	if !l.End.IsZero() {
		p["end"] = l.End.UTC().Format("2006-01-02")
	}
	return p
}

// endUnlisted ends the group's active Flags whose person is not on the list, page by page.
func endUnlisted(ctx context.Context, st store.Store, list PriorityList, numbers []uint64, now time.Time, rep *ListReport) error {
	q, err := criteria("Flag", "code="+fhir.SystemSNOMED+"|"+list.Code+"&status=active&identifier="+SystemPriorityGroupFlag+"|")
	if err != nil {
		return err
	}
	q.Count = 500
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := st.Search(ctx, q)
		if err != nil {
			return err
		}
		var ops []store.Op
		for _, rec := range res.Records {
			m, err := decodeJSON(rec.JSON)
			if err != nil {
				return err
			}
			nhs := flagNHS(m, list.Code)
			if n, err := strconv.ParseUint(nhs, 10, 64); err == nil {
				if _, on := slices.BinarySearch(numbers, n); on {
					continue
				}
			}
			m["status"] = "inactive"
			p := object(m["period"])
			if p == nil {
				p = obj{}
				m["period"] = p
			}
			p["end"] = now.UTC().Format("2006-01-02")
			op, err := writeOp(store.OpUpdate, rec.ID, m)
			if err != nil {
				return err
			}
			op.IfMatch = rec.Version
			ops = append(ops, op)
		}
		if len(ops) > 0 {
			if _, err := st.Transaction(ctx, ops); err != nil {
				return err
			}
			rep.Ended += int64(len(ops))
		}
		if res.Next == "" {
			return nil
		}
		q.Cursor = res.Next
	}
}

// flagNHS is the NHS number in a priority-group Flag's identifier.
func flagNHS(m obj, code string) string {
	for _, x := range arr(m["identifier"]) {
		id := object(x)
		if str(id["system"]) == SystemPriorityGroupFlag {
			if nhs, ok := strings.CutPrefix(str(id["value"]), code+"-"); ok {
				return nhs
			}
		}
	}
	return ""
}
