package nhscsv

import (
	"strings"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// FileName is what the name of a batch file says:
// {VACCTYPE}_Vaccinations_v5_{ODSCODE}_{YYYYMMDDThhmmssZZ}.csv (or .dat, from MESH).
type FileName struct {
	Name        string    // the base name as given
	VaccineType string    // upper case, one of fhir.VaccineTypes(), e.g. "FLU"
	Version     string    // "V5"
	ODSCode     string    // upper case: the sender's organisation
	Time        time.Time // the timestamp, in the offset ZZ names (+00:00 or +01:00)
	Extension   string    // "CSV" or "DAT"
}

// ParseFileName checks a batch file's name the way NHS England's file-name processor does
// (reference/nhs-england.md §1.11): five parts separated by "_", compared in upper case;
// a vaccine type this server knows; "VACCINATIONS"; version V5; an ODS-shaped sender code;
// a 17-character timestamp whose last two digits, the offset from UTC in hours, are 00 or
// 01; extension csv or dat. A path is reduced to its base name first.
//
// NHS England also maps the ODS code to a supplier system; that lookup belongs to whoever
// knows the suppliers, so only the code's shape is checked here.
//
// Errors: KindInvalid, naming the rule the name breaks.
func ParseFileName(name string) (FileName, error) {
	base := name[strings.LastIndexAny(name, `/\`)+1:]
	fn := FileName{Name: base}
	stem, ext, ok := cut(strings.ToUpper(base))
	if !ok {
		return fn, nameError(base, "it has no extension; it must end in .csv or .dat")
	}
	if ext != "CSV" && ext != "DAT" {
		return fn, nameError(base, "its extension must be .csv or .dat")
	}
	parts := strings.Split(stem, "_")
	if len(parts) != 5 {
		return fn, nameError(base, "it must have five parts separated by '_': {VACCTYPE}_Vaccinations_v5_{ODSCODE}_{YYYYMMDDThhmmssZZ}")
	}
	if fhir.DiseasesOf(parts[0]) == nil {
		return fn, nameError(base, "%q is not a vaccine type of this service (%s)", parts[0], strings.Join(fhir.VaccineTypes(), ", "))
	}
	if parts[1] != "VACCINATIONS" {
		return fn, nameError(base, "its second part must be 'Vaccinations'")
	}
	if parts[2] != "V5" {
		return fn, nameError(base, "its version %q is not supported; it must be v5", parts[2])
	}
	if !fhir.ValidODSCode(parts[3]) {
		return fn, nameError(base, "%q is not an ODS code (3 to 9 letters and digits)", parts[3])
	}
	t, err := parseTimestamp(parts[4])
	if err != nil {
		return fn, nameError(base, "its timestamp %q %s", parts[4], err.Error())
	}
	fn.VaccineType, fn.Version, fn.ODSCode, fn.Time, fn.Extension = parts[0], parts[2], parts[3], t, ext
	return fn, nil
}

// cut splits a name at its last dot.
func cut(s string) (stem, ext string, ok bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

func nameError(name, format string, args ...any) error {
	e := fhir.Errorf(fhir.KindInvalid, "invalid", "", "Invalid batch file name %q: "+format, append([]any{name}, args...)...)
	e.Details = "invalid batch file name"
	return e
}

// timestampError says what is wrong with a file-name timestamp; it completes a sentence.
type timestampError string

func (e timestampError) Error() string { return string(e) }

// parseTimestamp reads YYYYMMDDThhmmssZZ, ZZ being 00 (UTC) or 01 (UTC+1, British
// Summer Time).
func parseTimestamp(s string) (time.Time, error) {
	if len(s) != 17 {
		return time.Time{}, timestampError("must be 17 characters: YYYYMMDDThhmmssZZ")
	}
	var zone *time.Location
	switch s[15:] {
	case "00":
		zone = time.FixedZone("+00:00", 0)
	case "01":
		zone = time.FixedZone("+01:00", 3600)
	default:
		return time.Time{}, timestampError("must end in the offset 00 (UTC) or 01 (British Summer Time)")
	}
	t, err := time.ParseInLocation("20060102T150405", s[:15], zone)
	if err != nil || !allDigits(s[:8]) || !allDigits(s[9:15]) {
		return time.Time{}, timestampError("is not a valid date and time YYYYMMDDThhmmss")
	}
	return t, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
