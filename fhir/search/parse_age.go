package search

import (
	"strconv"
	"time"
)

// age on Patient: an age in whole years on today's date (in Zone), for cohorts. The
// table has no age entry, since an age indexed at write time is wrong a year later;
// Parse turns it into the birthdate filters it means, which Encode then writes: the
// self link shows the dates applied. With D(n) the latest birth date of someone n or
// older today:
//
//	age=geN  birthdate=le D(N)         age=gtN  birthdate=le D(N+1)
//	age=ltN  birthdate=gt D(N)         age=leN  birthdate=gt D(N+1)
//	age=N    both birthdate=gt D(N+1) and birthdate=le D(N)
//
// One value per occurrence: an OR of age ranges is not a single birthdate filter.
func (p *parser) age(key, mod string, hasMod bool, vals []string) bool {
	birth := LookupParam(p.typ, "birthdate")
	if LookupParam(p.typ, "age") != nil || birth == nil {
		return false // the table answers it
	}
	if hasMod {
		p.fail(invalidf("search parameter %s: age takes no modifier", echo(key)))
		return true
	}
	today := p.opts.Now().In(Zone)
	for _, raw := range vals {
		x, body, err := p.cutPrefix(raw)
		if err != nil {
			p.fail(err)
			continue
		}
		n, convErr := strconv.Atoi(body)
		if convErr != nil || n < 0 || n > 200 || body != strconv.Itoa(n) {
			p.fail(invalidf("search parameter age: %s is not an age in whole years (one value; repeat age for a range, as in age=ge65&age=lt75)", echo(raw)))
			continue
		}
		add := func(x Prefix, years int) {
			day := latestBirth(today, years)
			lo, hi, _ := DateRange(day)
			v := Value{Raw: prefixText(x) + day, Prefix: x, Low: lo, High: hi}
			p.q.Filters = append(p.q.Filters, Filter{Param: birth, Values: []Value{v}})
		}
		switch x {
		case PrefixGe:
			add(PrefixLe, n)
		case PrefixGt:
			add(PrefixLe, n+1)
		case PrefixLt:
			add(PrefixGt, n)
		case PrefixLe:
			add(PrefixGt, n+1)
		case PrefixEq:
			add(PrefixGt, n+1)
			add(PrefixLe, n)
		default:
			p.fail(invalidf("search parameter age takes eq, gt, ge, lt or le, not %s", echo(raw[:2])))
		}
	}
	return true
}

// latestBirth is D(n), YYYY-MM-DD: today n years ago. Someone born on 29 February has a
// birthday on 1 March in other years (as UK law counts it), so on a 29 February the day
// n years before, in a year without one, is the 28th.
func latestBirth(today time.Time, years int) string {
	y, m, d := today.Date()
	t := time.Date(y-years, m, d, 0, 0, 0, 0, time.UTC)
	if t.Month() != m {
		t = time.Date(y-years, m+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return t.Format("2006-01-02")
}
