package main

import (
	"context"
	"fmt"
	"net/http"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/nimsproject/nims/audit"
)

// auditOperator records, in the audit trail of the data directory, what an operator's
// command did to the store: the command, its inputs and counts, and its outcome. The
// command writes straight to the store (no token, no request), so this is the only trace
// of who loaded what. No patient data: file names and counts only.
func auditOperator(data, interaction, typ, query string, err error) error {
	log, oerr := audit.Open(data, audit.Options{Source: "nims " + version})
	if oerr != nil {
		return fmt.Errorf("audit trail: %w", oerr)
	}
	name := "unknown"
	if u, uerr := user.Current(); uerr == nil {
		name = u.Username
	}
	e := audit.Event{Time: time.Now(), ClientID: "operator:" + name, ClientName: "nims " + strings.TrimPrefix(interaction, "operator-"),
		Role: "operator", Interaction: interaction, Type: typ, Query: query, Status: http.StatusOK}
	if err != nil {
		e.Status, e.Outcome = http.StatusInternalServerError, errText(err)
	}
	log.Record(e)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ferr := log.Flush(ctx)
	if cerr := log.Close(); ferr == nil {
		ferr = cerr
	}
	if ferr != nil {
		return fmt.Errorf("audit trail: %w", ferr)
	}
	return nil
}

// baseNames lists the base names of files, comma-separated, for an audit query.
func baseNames(files []string) string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
	}
	return strings.Join(names, ",")
}
