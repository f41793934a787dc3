package api

import (
	"encoding/json"

	"github.com/nimsproject/nims/fhir"
)

// validateTarget finds the resource to validate: the body itself, or the "resource" part of
// a Parameters body. Its type must be the URL's.
func validateTarget(body []byte, typ string) (*fhir.Resource, error) {
	r, err := fhir.Decode(body)
	if err != nil {
		return nil, err
	}
	if r.Type == "Parameters" && typ != "Parameters" {
		params, _ := r.Object["parameter"].([]any)
		for _, p := range params {
			m, _ := p.(map[string]any)
			if m["name"] != "resource" {
				continue
			}
			inner, ok := m["resource"]
			if !ok {
				break
			}
			raw, err := json.Marshal(inner)
			if err != nil {
				return nil, fhir.Wrap("api.validate", err)
			}
			if r, err = fhir.Decode(raw); err != nil {
				return nil, err
			}
			break
		}
	}
	if r.Type != typ {
		return nil, fhir.Errorf(fhir.KindInvalid, "invalid", "resourceType", "resourceType %q does not match the type %q in the URL", r.Type, typ)
	}
	return r, nil
}
