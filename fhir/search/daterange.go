package search

import (
	"math"
	"time"
	_ "time/tzdata" // Zone must load on machines without a zoneinfo database
)

// Zone is the service's zone: the zone a date or time without an offset is read in.
//
// NIMS is an English service. A vaccination recorded as "2021-03-01" happened on that
// calendar day in England, so the day is the London day: from midnight GMT in winter and
// from midnight BST (23:00 UTC the day before) in summer. FHIR leaves this to the server
// (https://hl7.org/fhir/R4/search.html#date: "the server's local time zone should be
// assumed"); reading such values as UTC would move every summer vaccination given
// before 01:00 to the day before.
var Zone = mustLoadZone("Europe/London")

func mustLoadZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("search: zone " + name + ": " + err.Error()) // time/tzdata is embedded: cannot happen
	}
	return loc
}

// DateRange returns the range [low, high) in Unix milliseconds that a FHIR date,
// dateTime or instant covers at the precision it is written to
// (https://hl7.org/fhir/R4/search.html#date):
//
//	YYYY                          the year
//	YYYY-MM                       the month
//	YYYY-MM-DD                    the day
//	YYYY-MM-DDThh:mm[zone]        the minute
//	YYYY-MM-DDThh:mm:ss[zone]     the second
//	YYYY-MM-DDThh:mm:ss.f…[zone]  the millisecond containing it (digits past the third
//	                              are ignored: the index resolution is 1 ms)
//
// where zone is Z or ±hh:mm. Zone policy: a value with a zone is exact; a value without
// one (a date, or a time without an offset, which FHIR allows in search values) is read in
// Zone, Europe/London. So "2021-07-01" is [2021-06-30T23:00Z, 2021-07-01T23:00Z), and the
// days on which the clocks change are 23 and 25 hours long. A local time the clocks skip
// or repeat is resolved as Go's time.Date does (the offset in force before the change).
//
// ok is false for anything else, including calendar dates that do not exist (2021-02-29),
// hours past 23, offsets beyond ±14:00 and year 0000; then low and high are 0.
func DateRange(s string) (low, high int64, ok bool) {
	p := dateReader{s: s}
	year, ok := p.digits(4)
	if !ok || year == 0 {
		return 0, 0, false
	}
	month, day := 1, 1
	prec := precYear
	if p.more() {
		if month, ok = p.field('-', 2); !ok || month < 1 || month > 12 {
			return 0, 0, false
		}
		prec = precMonth
	}
	if p.more() {
		if day, ok = p.field('-', 2); !ok || day < 1 || day > monthDays(year, month) {
			return 0, 0, false
		}
		prec = precDay
	}
	var hour, min, sec, ms int
	loc := Zone
	if p.more() {
		if hour, ok = p.field('T', 2); !ok || hour > 23 {
			return 0, 0, false
		}
		if min, ok = p.field(':', 2); !ok || min > 59 {
			return 0, 0, false
		}
		prec = precMinute
		if p.peek() == ':' {
			// 60 is a leap second (FHIR's grammar allows it): time.Date carries it into
			// the next minute.
			if sec, ok = p.field(':', 2); !ok || sec > 60 {
				return 0, 0, false
			}
			prec = precSecond
			if p.peek() == '.' {
				if ms, ok = p.fraction(); !ok {
					return 0, 0, false
				}
				prec = precMilli
			}
		}
		if p.more() {
			if loc, ok = p.zone(); !ok {
				return 0, 0, false
			}
		}
	}
	if p.more() {
		return 0, 0, false
	}
	start := time.Date(year, time.Month(month), day, hour, min, sec, ms*int(time.Millisecond), loc)
	var end time.Time
	switch prec {
	case precYear:
		end = time.Date(year+1, 1, 1, 0, 0, 0, 0, loc)
	case precMonth:
		end = time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, loc)
	case precDay:
		end = time.Date(year, time.Month(month), day+1, 0, 0, 0, 0, loc)
	case precMinute:
		end = start.Add(time.Minute)
	case precSecond:
		end = start.Add(time.Second)
	default:
		end = start.Add(time.Millisecond)
	}
	return start.UnixMilli(), end.UnixMilli(), true
}

// Period returns the range of a FHIR Period from its start and end ("" when absent): from
// the start of start's range to the end of end's range. A Period without a start began
// at math.MinInt64; one without an end is ongoing, up to math.MaxInt64
// (https://hl7.org/fhir/R4/datatypes.html#Period). ok is false when both are absent, when
// either is not a valid date, or when end's range ends before start's begins.
func Period(start, end string) (low, high int64, ok bool) {
	if start == "" && end == "" {
		return 0, 0, false
	}
	low, high = math.MinInt64, math.MaxInt64
	if start != "" {
		if low, _, ok = DateRange(start); !ok {
			return 0, 0, false
		}
	}
	if end != "" {
		if _, high, ok = DateRange(end); !ok {
			return 0, 0, false
		}
	}
	if low >= high {
		return 0, 0, false
	}
	return low, high, true
}

type datePrecision uint8

const (
	precYear datePrecision = iota
	precMonth
	precDay
	precMinute
	precSecond
	precMilli
)

func monthDays(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// dateReader reads a date left to right; every method leaves i after what it read.
type dateReader struct {
	s string
	i int
}

func (p *dateReader) more() bool { return p.i < len(p.s) }

func (p *dateReader) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// field reads sep followed by n digits.
func (p *dateReader) field(sep byte, n int) (int, bool) {
	if p.peek() != sep {
		return 0, false
	}
	p.i++
	return p.digits(n)
}

func (p *dateReader) digits(n int) (int, bool) {
	if p.i+n > len(p.s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(p.s[p.i : p.i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v, true
}

// fraction reads "." and one or more digits, returning the whole milliseconds.
func (p *dateReader) fraction() (int, bool) {
	p.i++ // the '.'
	ms, n := 0, 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if n < 3 {
			ms = ms*10 + int(p.s[p.i]-'0')
		}
		n++
		p.i++
	}
	if n == 0 {
		return 0, false
	}
	for ; n < 3; n++ {
		ms *= 10
	}
	return ms, true
}

// zone reads Z or ±hh:mm, to the end of the string.
func (p *dateReader) zone() (*time.Location, bool) {
	switch p.peek() {
	case 'Z':
		p.i++
		return time.UTC, true
	case '+', '-':
	default:
		return nil, false
	}
	sign := 1
	if p.s[p.i] == '-' {
		sign = -1
	}
	p.i++
	hh, ok := p.digits(2)
	if !ok {
		return nil, false
	}
	mm, ok := p.field(':', 2)
	if !ok || hh > 14 || mm > 59 || (hh == 14 && mm > 0) {
		return nil, false
	}
	return time.FixedZone("", sign*(hh*3600+mm*60)), true
}
