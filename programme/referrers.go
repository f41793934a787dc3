package programme

import (
	"slices"
	"sync"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

type referrer struct{ typ, param string }

// patientReferrers lists every (type, reference parameter) of the search table that may
// name a Patient: where a person's records are found. Patients' links to each other are
// not records of the person (and the supersede sets them itself).
var patientReferrers = sync.OnceValue(func() []referrer {
	var out []referrer
	for _, typ := range fhir.ResourceTypes() {
		if typ == "Patient" {
			continue
		}
		for _, p := range search.AllParams(typ) {
			if p.Type == search.TypeReference && slices.Contains(p.Targets, "Patient") {
				out = append(out, referrer{typ, p.Name})
			}
		}
	}
	return out
})
