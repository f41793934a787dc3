package programme

import (
	"bufio"
	"context"
	"io"
	"strings"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

// Ethnicity from GP feeds: lines "NHS number,ethnic category code" (or pipe-separated; a
// header line is skipped), the code from the NHS Data Dictionary's ETHNIC CATEGORY (A–Z,
// 99). Each sets the UK Core ethnic-category extension of the person's Patient, which the
// demographic feed then keeps (PDS does not hold ethnicity).

// ethnicCodes are the codes of UKCore-EthnicCategoryEngland.
const ethnicCodes = "A B C D E F G H J K L M N P R S Z 99"

// EthnicityReport is what an ethnicity feed did.
type EthnicityReport struct {
	Updated, Unchanged, Unmatched, Failed int64
	Errors                                []LineError
}

// ApplyEthnicity applies the feed in r.
func ApplyEthnicity(ctx context.Context, st store.Store, r io.Reader) (EthnicityReport, error) {
	var rep EthnicityReport
	sc := bufio.NewScanner(r)
	var line int64
	fail := func(err error) {
		rep.Failed++
		if len(rep.Errors) < 1000 {
			rep.Errors = append(rep.Errors, LineError{Line: line, Err: err})
		}
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		nhs, code, ok := strings.Cut(strings.ReplaceAll(text, "|", ","), ",")
		nhs, code = strings.Trim(strings.TrimSpace(nhs), `"`), strings.ToUpper(strings.Trim(strings.TrimSpace(code), `"`))
		if line == 1 && !isDigits(nhs) {
			continue // a header
		}
		switch {
		case !ok || !fhir.ValidNHSNumber(nhs):
			fail(invalid("%q is not a valid NHS number", nhs))
			continue
		case !strings.Contains(" "+ethnicCodes+" ", " "+code+" "):
			fail(invalid("%q is not an ethnic category code (%s)", code, ethnicCodes))
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		outcome, err := setEthnicity(ctx, st, nhs, code)
		switch {
		case err != nil && !fhir.DataFault(err):
			return rep, err
		case err != nil:
			fail(err)
		case outcome == store.NoOp:
			rep.Unchanged++
		case outcome == 0:
			rep.Unmatched++
		default:
			rep.Updated++
		}
	}
	return rep, scanErr(sc.Err(), line, bufio.MaxScanTokenSize)
}

// setEthnicity sets the ethnic category of the person with NHS number nhs; outcome 0
// when NIMS does not hold them.
func setEthnicity(ctx context.Context, st store.Store, nhs, code string) (outcome store.Outcome, err error) {
	err = reread(func() error {
		p, err := patientByNHS(ctx, st, nhs)
		if err != nil || p == nil {
			outcome = 0
			return err
		}
		ext := obj{"url": fhir.ExtEthnicCategory, "valueCodeableConcept": obj{"coding": []any{
			obj{"system": fhir.SystemEthnicCategoryEngland, "code": code}}}}
		var exts []any
		for _, x := range arr(p.obj["extension"]) {
			if str(object(x)["url"]) != fhir.ExtEthnicCategory {
				exts = append(exts, x)
			}
		}
		p.obj["extension"] = append(exts, ext)
		op, err := updateOp(p.rec, p.obj)
		if err != nil {
			return err
		}
		res, err := st.Apply(ctx, op)
		outcome = res.Outcome
		return err
	})
	return outcome, err
}
