package search

import (
	"math"
	"strings"
	"testing"
	"time"
)

// utcMs reads an RFC 3339 instant; a "+1ms" suffix adds a millisecond, for bounds that
// time.Parse cannot write (year 10000).
func utcMs(s string) int64 {
	if base, ok := strings.CutSuffix(s, "+1ms"); ok {
		return utcMs(base) + 1
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

func TestDateRange(t *testing.T) {
	tests := []struct {
		name, in  string
		low, high string // RFC 3339 instants; both empty when the value is invalid
	}{
		// Precisions of a value without a zone: London days, GMT in winter, BST in summer.
		{"year", "2021", "2021-01-01T00:00:00Z", "2022-01-01T00:00:00Z"},
		{"month, winter", "2021-02", "2021-02-01T00:00:00Z", "2021-03-01T00:00:00Z"},
		{"month, summer", "2021-07", "2021-06-30T23:00:00Z", "2021-07-31T23:00:00Z"},
		{"month across BST start", "2021-03", "2021-03-01T00:00:00Z", "2021-03-31T23:00:00Z"},
		{"day, GMT", "2021-01-15", "2021-01-15T00:00:00Z", "2021-01-16T00:00:00Z"},
		{"day, BST", "2021-07-01", "2021-06-30T23:00:00Z", "2021-07-01T23:00:00Z"},
		{"day BST starts: 23 hours", "2021-03-28", "2021-03-28T00:00:00Z", "2021-03-28T23:00:00Z"},
		{"day BST ends: 25 hours", "2021-10-31", "2021-10-30T23:00:00Z", "2021-11-01T00:00:00Z"},
		{"leap day", "2020-02-29", "2020-02-29T00:00:00Z", "2020-03-01T00:00:00Z"},
		{"last day of 9999", "9999-12-31", "9999-12-31T00:00:00Z", "9999-12-31T23:59:59.999Z+1ms"},
		{"December", "2021-12", "2021-12-01T00:00:00Z", "2022-01-01T00:00:00Z"},

		// Times without a zone are London times too.
		{"minute, local summer", "2021-07-01T10:00", "2021-07-01T09:00:00Z", "2021-07-01T09:01:00Z"},
		{"second, local winter", "2021-01-01T10:00:00", "2021-01-01T10:00:00Z", "2021-01-01T10:00:01Z"},

		// Values with a zone are exact.
		{"minute Z", "2021-03-01T10:00Z", "2021-03-01T10:00:00Z", "2021-03-01T10:01:00Z"},
		{"second Z", "2021-03-01T10:00:00Z", "2021-03-01T10:00:00Z", "2021-03-01T10:00:01Z"},
		{"second +01:00", "2024-10-15T10:30:00+01:00", "2024-10-15T09:30:00Z", "2024-10-15T09:30:01Z"},
		{"second -05:30", "2021-03-01T10:00:00-05:30", "2021-03-01T15:30:00Z", "2021-03-01T15:30:01Z"},
		{"+14:00", "2021-03-01T10:00:00+14:00", "2021-02-28T20:00:00Z", "2021-02-28T20:00:01Z"},
		{"ms", "2021-03-01T10:00:00.123Z", "2021-03-01T10:00:00.123Z", "2021-03-01T10:00:00.124Z"},
		{"fraction .5 is a ms", "2021-03-01T10:00:00.5Z", "2021-03-01T10:00:00.5Z", "2021-03-01T10:00:00.501Z"},
		{"µs truncated to its ms", "2021-03-01T10:00:00.123999Z", "2021-03-01T10:00:00.123Z", "2021-03-01T10:00:00.124Z"},
		{"instant with offset and ms", "2024-10-15T10:42:17.000+01:00", "2024-10-15T09:42:17Z", "2024-10-15T09:42:17.001Z"},
		{"leap second", "2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z", "2017-01-01T00:00:01Z"},
		{"midnight across zones", "2021-07-01T00:00:00+00:00", "2021-07-01T00:00:00Z", "2021-07-01T00:00:01Z"},

		// Invalid.
		{"empty", "", "", ""},
		{"year 0000", "0000", "", ""},
		{"short year", "202", "", ""},
		{"month 13", "2021-13", "", ""},
		{"month 00", "2021-00", "", ""},
		{"Feb 29 not leap", "2021-02-29", "", ""},
		{"Feb 29 1900", "1900-02-29", "", ""},
		{"April 31", "2021-04-31", "", ""},
		{"day 00", "2021-04-00", "", ""},
		{"hour 24", "2021-03-01T24:00Z", "", ""},
		{"minute 60", "2021-03-01T10:60Z", "", ""},
		{"second 61", "2021-03-01T10:00:61Z", "", ""},
		{"hour only", "2021-03-01T10Z", "", ""},
		{"empty fraction", "2021-03-01T10:00:00.Z", "", ""},
		{"offset too big", "2021-03-01T10:00:00+15:00", "", ""},
		{"offset minutes", "2021-03-01T10:00:00+01:60", "", ""},
		{"offset without colon", "2021-03-01T10:00:00+0100", "", ""},
		{"zone on a date", "2021-03-01Z", "", ""},
		{"trailing T", "2021-03-01T", "", ""},
		{"space separator", "2021-03-01 10:00:00Z", "", ""},
		{"single-digit month", "2021-3-01", "", ""},
		{"trailing junk", "2021-03-01x", "", ""},
		{"lower z", "2021-03-01T10:00:00z", "", ""},
		{"signs in digits", "2021-+3-01", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			low, high, ok := DateRange(tc.in)
			if tc.low == "" {
				if ok {
					t.Errorf("DateRange(%q) = [%d, %d), true; want invalid", tc.in, low, high)
				}
				return
			}
			wl, wh := utcMs(tc.low), utcMs(tc.high)
			if !ok || low != wl || high != wh {
				t.Errorf("DateRange(%q) = [%s, %s), %v; want [%s, %s)", tc.in,
					time.UnixMilli(low).UTC().Format(time.RFC3339Nano), time.UnixMilli(high).UTC().Format(time.RFC3339Nano), ok, tc.low, tc.high)
			}
		})
	}
}

// A vaccination given at 00:30 BST on 1 July is on 1 July in England, though it is still
// 30 June in UTC: the zone policy in one assertion.
func TestDateRangeBSTDayContainsEarlyMorning(t *testing.T) {
	at, _, _ := DateRange("2021-07-01T00:30:00+01:00")
	lo, hi, _ := DateRange("2021-07-01")
	if at < lo || at >= hi {
		t.Errorf("00:30 BST on 1 July is not within the day 2021-07-01 [%d, %d): %d", lo, hi, at)
	}
	lo, hi, _ = DateRange("2021-06-30")
	if at >= lo && at < hi {
		t.Errorf("00:30 BST on 1 July falls within 30 June")
	}
}

func TestPeriod(t *testing.T) {
	tests := []struct {
		name, start, end string
		low, high        int64
		ok               bool
	}{
		{"both", "2021-01-01", "2021-01-31", utcMs("2021-01-01T00:00:00Z"), utcMs("2021-02-01T00:00:00Z"), true},
		{"open end", "2021-01-01", "", utcMs("2021-01-01T00:00:00Z"), math.MaxInt64, true},
		{"open start", "", "2021-01-31T12:00:00Z", math.MinInt64, utcMs("2021-01-31T12:00:01Z"), true},
		{"same day", "2021-01-01", "2021-01-01", utcMs("2021-01-01T00:00:00Z"), utcMs("2021-01-02T00:00:00Z"), true},
		{"neither", "", "", 0, 0, false},
		{"bad start", "2021-02-30", "", 0, 0, false},
		{"bad end", "2021-01-01", "soon", 0, 0, false},
		{"end before start", "2021-02-01", "2021-01-01", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			low, high, ok := Period(tc.start, tc.end)
			if low != tc.low || high != tc.high || ok != tc.ok {
				t.Errorf("Period(%q, %q) = %d, %d, %v; want %d, %d, %v", tc.start, tc.end, low, high, ok, tc.low, tc.high, tc.ok)
			}
		})
	}
}

func FuzzDateRange(f *testing.F) {
	for _, s := range []string{"2021", "2021-07", "2021-07-01", "2021-07-01T10:00", "2021-07-01T10:00:00Z",
		"2021-10-31T01:30:00", "2021-03-28T01:30", "2016-12-31T23:59:60.999999+14:00", "9999-12-31T23:59:59.999-14:00",
		"0001-01-01T00:00:00.000+14:00", "2021-02-29", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		low, high, ok := DateRange(s)
		if ok && low >= high {
			t.Errorf("DateRange(%q) = [%d, %d): empty range", s, low, high)
		}
		if !ok && (low != 0 || high != 0) {
			t.Errorf("DateRange(%q) not ok but returned %d, %d", s, low, high)
		}
	})
}
