package nhscsv

import (
	"strings"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
)

func TestParseFileName(t *testing.T) {
	bst := time.FixedZone("", 3600)
	tests := []struct {
		name    string
		want    FileName // compared when wantErr is ""
		wantErr string   // a piece of the message
	}{
		{name: "FLU_Vaccinations_v5_RX809_20241015T17300000.csv",
			want: FileName{VaccineType: "FLU", Version: "V5", ODSCode: "RX809", Extension: "CSV", Time: time.Date(2024, 10, 15, 17, 30, 0, 0, time.UTC)}},
		{name: "covid_vaccinations_V5_ygm41_20240601T08000001.DAT", // compared upper-cased; MESH's .dat
			want: FileName{VaccineType: "COVID", Version: "V5", ODSCode: "YGM41", Extension: "DAT", Time: time.Date(2024, 6, 1, 8, 0, 0, 0, bst)}},
		{name: "inbox/sub/RSV_Vaccinations_v5_X26_20250102T000000" + "00.csv", // a path: its base name
			want: FileName{VaccineType: "RSV", Version: "V5", ODSCode: "X26", Extension: "CSV", Time: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}},

		{name: "FLU_Vaccinations_v5_RX809_20241015T17300000", wantErr: "no extension"},
		{name: "FLU_Vaccinations_v5_RX809_20241015T17300000.txt", wantErr: "extension must be .csv or .dat"},
		{name: "FLU_Vaccinations_v5_RX809.csv", wantErr: "five parts"},
		{name: "FLU_Vaccinations_v5_RX809_20241015T17300000_extra.csv", wantErr: "five parts"},
		{name: "POLIO_Vaccinations_v5_RX809_20241015T17300000.csv", wantErr: `"POLIO" is not a vaccine type`},
		{name: "FLU_Vaccination_v5_RX809_20241015T17300000.csv", wantErr: "second part must be 'Vaccinations'"},
		{name: "FLU_Vaccinations_v4_RX809_20241015T17300000.csv", wantErr: "version \"V4\" is not supported"},
		{name: "FLU_Vaccinations_v5_R-809_20241015T17300000.csv", wantErr: "not an ODS code"},
		{name: "FLU_Vaccinations_v5_RX809_20241015T173000.csv", wantErr: "must be 17 characters"},
		{name: "FLU_Vaccinations_v5_RX809_20241015T17300002.csv", wantErr: "offset 00 (UTC) or 01"},
		{name: "FLU_Vaccinations_v5_RX809_20241315T17300000.csv", wantErr: "not a valid date and time"},
		{name: "FLU_Vaccinations_v5_RX809_20241015X17300000.csv", wantErr: "not a valid date and time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFileName(tc.name)
			if tc.wantErr != "" {
				fe, ok := err.(*fhir.Error)
				if !ok || fe.Kind != fhir.KindInvalid || !strings.Contains(fe.Issues[0].Diagnostics, tc.wantErr) {
					t.Fatalf("ParseFileName(%q) = %v, want a KindInvalid error saying %q", tc.name, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFileName(%q): %v", tc.name, err)
			}
			if got.VaccineType != tc.want.VaccineType || got.Version != tc.want.Version || got.ODSCode != tc.want.ODSCode ||
				got.Extension != tc.want.Extension || !got.Time.Equal(tc.want.Time) {
				t.Errorf("ParseFileName(%q) = %+v, want %+v", tc.name, got, tc.want)
			}
			if _, off := got.Time.Zone(); off != func() int { _, o := tc.want.Time.Zone(); return o }() {
				t.Errorf("ParseFileName(%q): offset %d, want that of %v", tc.name, off, tc.want.Time)
			}
		})
	}
}
