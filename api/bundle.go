package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/nimsproject/nims/store"
)

// bundle is the JSON shape of a Bundle. Entries hold resources as raw JSON so that what a
// client stored is served byte for byte inside Bundles too.
type bundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id,omitempty"`
	Meta         *bundleMeta   `json:"meta,omitempty"`
	Type         string        `json:"type"`
	Total        *int64        `json:"total,omitempty"`
	Link         []bundleLink  `json:"link,omitempty"`
	Entry        []bundleEntry `json:"entry"`
}

type bundleMeta struct {
	LastUpdated string `json:"lastUpdated"`
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *entrySearch    `json:"search,omitempty"`
	Request  *entryRequest   `json:"request,omitempty"`
	Response *entryResponse  `json:"response,omitempty"`
}

type entrySearch struct {
	Mode string `json:"mode"`
}

type entryRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

type entryResponse struct {
	Status       string `json:"status"`
	Etag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
}

// linkQuery writes the query of a Bundle link as url.Values.Encode does (sorted keys,
// escaped), but leaves ':', '/' and ',' readable, so that a self link shows
// patient.identifier=https://fhir.nhs.uk/Id/nhs-number%7C… and _include=Immunization:patient.
// Escaped or not, they decode the same in a query (RFC 3986 §3.4); every '%' Encode writes
// starts an escape, so no other text is touched.
func linkQuery(v url.Values) string {
	return linkUnescaper.Replace(v.Encode())
}

var linkUnescaper = strings.NewReplacer("%3A", ":", "%2F", "/", "%2C", ",")

// historyEntry describes one version as a history Bundle entry: the interaction that made
// it and its outcome.
func historyEntry(base string, rec store.Record) bundleEntry {
	v := strconv.FormatInt(rec.Version, 10)
	e := bundleEntry{
		FullURL: base + "/" + rec.Type + "/" + rec.ID,
		Response: &entryResponse{
			Etag:         `W/"` + v + `"`,
			LastModified: rec.LastUpdated.UTC().Format("2006-01-02T15:04:05.000Z"),
		},
	}
	op, created := rec.Op, rec.Created
	if op == 0 { // written before the store recorded how: infer
		op, created = store.OpUpdate, rec.Version == 1
		if rec.Version == 1 {
			op = store.OpCreate
		}
	}
	switch {
	case rec.Deleted:
		e.Request = &entryRequest{Method: http.MethodDelete, URL: rec.Type + "/" + rec.ID}
		e.Response.Status = "204"
	case op == store.OpCreate:
		e.Resource = rec.JSON
		e.Request = &entryRequest{Method: http.MethodPost, URL: rec.Type}
		e.Response.Status = "201"
	default:
		e.Resource = rec.JSON
		e.Request = &entryRequest{Method: http.MethodPut, URL: rec.Type + "/" + rec.ID}
		e.Response.Status = "200"
		if created {
			e.Response.Status = "201"
		}
	}
	return e
}
