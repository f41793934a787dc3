package search

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Chalmers", "chalmers"},
		{"Siobhán", "siobhan"},
		{"SIOBHÁN", "siobhan"},
		{"Zoë", "zoe"},
		{"Ó Súilleabháin", "o suilleabhain"},
		{"Ó’Brien", "o'brien"},
		{"Straße", "strasse"},
		{"STRASSE", "strasse"},
		{"Łukasz Wałęsa", "lukasz walesa"},
		{"Søren Kierkegaard", "soren kierkegaard"},
		{"Æthelred", "aethelred"},
		{"Œdipe", "oedipe"},
		{"Dvořák", "dvorak"},
		{"İstanbul", "istanbul"},
		{"Nguyễn", "nguyen"},
		{"ﬁnlay", "finlay"}, // ligature
		{"  Mary \t Ann\n", "mary ann"},
		{"a  b", "a b"},
		{"Mary\u00a0Ann", "mary ann"}, // no-break space
		{"", ""},
		{"   ", ""},
		{"LS1 4AP", "ls1 4ap"},
		{"Пётр", "петр"}, // Cyrillic: case folded, breve/diaeresis removed
		{"東京", "東京"},
	}
	for _, tc := range tests {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Normalising twice changes nothing: stored entries and search values meet in one form.
func TestNormalizeIdempotent(t *testing.T) {
	for _, s := range []string{"Siobhán", "Straße", "ǅemal", "Ǆ", "ΣΊΣΥΦΟΣ", "Æ ﬃ", "İı"} {
		once := Normalize(s)
		if twice := Normalize(once); twice != once {
			t.Errorf("Normalize(Normalize(%q)) = %q, want %q", s, twice, once)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("Siobhán Ó’Brien")
	f.Add("Straße  ﬁ\u00a0")
	f.Fuzz(func(t *testing.T, s string) {
		once := Normalize(s)
		if twice := Normalize(once); twice != once {
			t.Errorf("Normalize not idempotent on %q: %q then %q", s, once, twice)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	for _, s := range []string{"Chalmers", "Siobhán Ó’Brien"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				Normalize(s)
			}
		})
	}
}
