package synth

import "time"

// Dates are whole days since 1970-01-01 (civil calendar, no zone): cheap to add to and
// compare, and written out without time.Time. The conversions are Howard Hinnant's
// days_from_civil and civil_from_days.

func dayOf(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civil(z int) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// dayOfTime is the civil day of t in its own location.
func dayOfTime(t time.Time) int {
	y, m, d := t.Date()
	return dayOf(y, int(m), d)
}

// ageOn is the age in whole years on day of someone born on birth.
func ageOn(birth, day int) int {
	by, bm, bd := civil(birth)
	y, m, d := civil(day)
	age := y - by
	if m < bm || m == bm && d < bd {
		age--
	}
	return age
}

// addYears is the same calendar day years later (29 February becomes 1 March).
func addYears(day, years int) int {
	y, m, d := civil(day)
	if m == 2 && d == 29 {
		m, d = 3, 1
	}
	return dayOf(y+years, m, d)
}

func appendDate(b []byte, day int) []byte {
	y, m, d := civil(day)
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

// appendDateTime writes a UK wall-clock time (minute of the day) with the offset then in
// force, as the NHS Immunisation API wants it: +00:00 in winter, +01:00 in summer.
func appendDateTime(b []byte, day, minute int) []byte {
	b = appendDate(b, day)
	b = append(b, 'T')
	b = append2(b, minute/60)
	b = append(b, ':')
	b = append2(b, minute%60)
	if britishSummer(day) {
		return append(b, ":00+01:00"...)
	}
	return append(b, ":00+00:00"...)
}

// britishSummer reports whether day falls in British Summer Time, which runs from the
// last Sunday of March to the last Sunday of October (the change is at 01:00 UTC, before
// any clinic opens, so a whole day takes one offset).
func britishSummer(day int) bool {
	y, _, _ := civil(day)
	return day >= lastSunday(y, 3) && day < lastSunday(y, 10)
}

func lastSunday(y, m int) int {
	last := dayOf(y, m+1, 1) - 1 // m+1 is at most 11 here
	return last - (last+4)%7     // 1970-01-01 was a Thursday: (day+4)%7 is 0 on Sundays
}
