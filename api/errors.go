package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nimsproject/nims/fhir"
)

// statusOf is the one table from error kind to HTTP status.
var statusOf = map[fhir.Kind]int{
	fhir.KindInternal:           http.StatusInternalServerError,
	fhir.KindInvalid:            http.StatusBadRequest,
	fhir.KindUnauthorized:       http.StatusUnauthorized,
	fhir.KindForbidden:          http.StatusForbidden,
	fhir.KindNotFound:           http.StatusNotFound,
	fhir.KindMethodNotAllowed:   http.StatusMethodNotAllowed,
	fhir.KindNotAcceptable:      http.StatusNotAcceptable,
	fhir.KindConflict:           http.StatusConflict,
	fhir.KindGone:               http.StatusGone,
	fhir.KindPreconditionFailed: http.StatusPreconditionFailed,
	fhir.KindTooLarge:           http.StatusRequestEntityTooLarge,
	fhir.KindUnsupportedMedia:   http.StatusUnsupportedMediaType,
	fhir.KindUnprocessable:      http.StatusUnprocessableEntity,
	fhir.KindNotImplemented:     http.StatusNotImplemented,
	fhir.KindUnavailable:        http.StatusServiceUnavailable,
	fhir.KindTooManyRequests:    http.StatusTooManyRequests,
}

// defaultCode is the issue code used when an error carries no issues of its own.
var defaultCode = map[fhir.Kind]string{
	fhir.KindInternal:           "exception",
	fhir.KindInvalid:            "invalid",
	fhir.KindUnauthorized:       "login",
	fhir.KindForbidden:          "forbidden",
	fhir.KindNotFound:           "not-found",
	fhir.KindMethodNotAllowed:   "not-supported",
	fhir.KindNotAcceptable:      "not-supported",
	fhir.KindConflict:           "conflict",
	fhir.KindGone:               "deleted",
	fhir.KindPreconditionFailed: "conflict",
	fhir.KindTooLarge:           "too-long",
	fhir.KindUnsupportedMedia:   "not-supported",
	fhir.KindUnprocessable:      "business-rule",
	fhir.KindNotImplemented:     "not-supported",
	fhir.KindUnavailable:        "transient",
	fhir.KindTooManyRequests:    "throttled",
}

// nhsErrorCodes is the NHS API's details code system; clients of the NHS Immunisation API
// read details.coding[0].code, so we send it beside the FHIR issue code.
const nhsErrorCodes = "https://fhir.nhs.uk/Codesystem/http-error-codes"

// fail writes err as an OperationOutcome and stops the chain. Internal errors are logged
// with their cause and answered with a generic message: no stack, no path, no driver text.
func fail(c *gin.Context, err error) {
	fe := asFHIRError(err)
	status := statusOf[fe.Kind]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if errors.Is(fe, context.Canceled) {
		// The client went away while its request waited: nothing to answer, no fault.
		logFrom(c).Info("client closed the request", "op", fe.Op)
		c.AbortWithStatus(http.StatusServiceUnavailable)
		return
	}
	if status >= 500 {
		logFrom(c).Error("request failed", "op", fe.Op, "kind", fe.Kind.String(), "details", fe.Details, "cause", causeText(fe))
	}
	if fe.Kind == fhir.KindMethodNotAllowed {
		c.Header("Allow", allowed(c.Request.URL.Path))
	}
	c.Abort()
	writeJSON(c, status, outcomeJSON(issuesOf(fe)))
}

// issuesOf are the issues an error is answered with: its own, or a generic one for an
// internal error (whose cause is logged, never shown) and for one without issues.
func issuesOf(fe *fhir.Error) []fhir.Issue {
	if status := statusOf[fe.Kind]; len(fe.Issues) == 0 || status == 0 || status == http.StatusInternalServerError {
		return []fhir.Issue{{Severity: fhir.SeverityError, Code: defaultCode[fe.Kind], Diagnostics: defaultDiagnostics(fe.Kind)}}
	}
	return fe.Issues
}

func asFHIRError(err error) *fhir.Error {
	if fe, ok := err.(*fhir.Error); ok {
		return fe
	}
	return fhir.Wrap("api", err)
}

func causeText(fe *fhir.Error) string {
	if fe.Err == nil {
		return ""
	}
	return fe.Err.Error()
}

func defaultDiagnostics(k fhir.Kind) string {
	switch k {
	case fhir.KindInternal:
		return "Unable to process request. Issue may be transient."
	case fhir.KindUnavailable:
		return "The service is temporarily unavailable."
	}
	return strings.ReplaceAll(k.String(), "-", " ")
}

// outcome is the JSON shape of an OperationOutcome.
type outcome struct {
	ResourceType string         `json:"resourceType"`
	Issue        []outcomeIssue `json:"issue"`
}

type outcomeIssue struct {
	Severity    string          `json:"severity"`
	Code        string          `json:"code"`
	Details     *outcomeDetails `json:"details,omitempty"`
	Diagnostics string          `json:"diagnostics,omitempty"`
	Expression  []string        `json:"expression,omitempty"`
}

type outcomeDetails struct {
	Coding []coding `json:"coding"`
}

type coding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

func outcomeJSON(issues []fhir.Issue) outcome {
	oo := outcome{ResourceType: "OperationOutcome"}
	for _, is := range issues {
		oi := outcomeIssue{Severity: is.Severity.String(), Code: is.Code, Diagnostics: is.Diagnostics, Expression: is.Expression}
		if oi.Code == "" {
			oi.Code = "processing"
		}
		if is.Severity == fhir.SeverityError || is.Severity == fhir.SeverityFatal {
			oi.Details = &outcomeDetails{Coding: []coding{{System: nhsErrorCodes, Code: strings.ToUpper(oi.Code)}}}
		}
		oo.Issue = append(oo.Issue, oi)
	}
	return oo
}

// information is a one-issue OperationOutcome reporting success.
func information(text string) outcome {
	return outcomeJSON([]fhir.Issue{{Severity: fhir.SeverityInformation, Code: "informational", Diagnostics: text}})
}

// allowed lists the methods the FHIR routes accept on path, for the Allow header of a 405.
func allowed(path string) string {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(path, "/fhir"), "/"), "/")
	switch {
	case len(segs) == 1 && (segs[0] == "metadata" || segs[0] == "_history"):
		return "GET"
	case len(segs) == 1 && segs[0] == "$import":
		return "POST"
	case len(segs) == 1 && segs[0] == "$import-poll-status":
		return "GET, DELETE"
	case len(segs) == 1:
		return "GET, POST, PUT, DELETE"
	case strings.HasPrefix(segs[len(segs)-1], "$"), len(segs) == 2 && segs[1] == "_search":
		return "POST"
	case len(segs) == 2 && segs[1] == "_history", len(segs) >= 3:
		return "GET"
	}
	return "GET, PUT, DELETE"
}
