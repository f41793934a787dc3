package fhir

// The date and time grammars of https://hl7.org/fhir/R4/datatypes.html#primitive, with
// the calendar checks the regular expressions there leave out (no 2023-02-30).

// digits reads n ASCII digits at s[i:].
func digits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// scanDate reads YYYY, YYYY-MM or YYYY-MM-DD from the front of s. It returns how many of
// the three parts it read and where it stopped, or a problem.
func scanDate(s string) (parts, end int, msg string) {
	y, ok := digits(s, 0, 4)
	if !ok || y == 0 {
		return 0, 0, "the year must be four digits from 0001"
	}
	if len(s) == 4 || s[4] != '-' {
		return 1, 4, ""
	}
	m, ok := digits(s, 5, 2)
	if !ok || m < 1 || m > 12 {
		return 0, 0, "the month must be 01 to 12"
	}
	if len(s) == 7 || s[7] != '-' {
		return 2, 7, ""
	}
	d, ok := digits(s, 8, 2)
	if !ok || d < 1 || d > daysIn(y, m) {
		return 0, 0, "the day does not exist in that month"
	}
	return 3, 10, ""
}

// scanTime reads hh:mm:ss with an optional fraction from the front of s.
func scanTime(s string) (end int, msg string) {
	h, ok1 := digits(s, 0, 2)
	m, ok2 := digits(s, 3, 2)
	sec, ok3 := digits(s, 6, 2)
	if !ok1 || !ok2 || !ok3 || s[2] != ':' || s[5] != ':' {
		return 0, "a time must be hh:mm:ss"
	}
	if h > 23 || m > 59 || sec > 60 {
		return 0, "the time is out of range"
	}
	i := 8
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return 0, "a fraction of a second needs digits"
		}
		i = j
	}
	return i, ""
}

// zoneProblem checks a time zone: Z or ±hh:mm up to +14:00.
func zoneProblem(z string) string {
	if z == "Z" {
		return ""
	}
	h, ok1 := digits(z, 1, 2)
	m, ok2 := digits(z, 4, 2)
	if len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':' || !ok1 || !ok2 {
		return "the time zone must be Z or ±hh:mm"
	}
	if m > 59 || h > 14 || (h == 14 && m != 0) {
		return "the time zone is out of range"
	}
	return ""
}

// dateTimeProblem checks date, dateTime and instant. dateTime may stop after the year,
// month or day; once it has a time it must have seconds and a zone. instant must be
// complete.
func dateTimeProblem(p primType, s string) string {
	parts, i, msg := scanDate(s)
	if msg != "" {
		return msg
	}
	if i == len(s) {
		if p == primInstant {
			return "an instant must have a date, a time and a time zone"
		}
		return ""
	}
	if p == primDate {
		return "a date must be YYYY, YYYY-MM or YYYY-MM-DD"
	}
	if parts < 3 || s[i] != 'T' {
		return "a time must follow a full date after 'T'"
	}
	n, msg := scanTime(s[i+1:])
	if msg != "" {
		return msg
	}
	zone := s[i+1+n:]
	if zone == "" {
		return "a time must have a time zone"
	}
	return zoneProblem(zone)
}
