package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nimsproject/nims/audit"
	"github.com/nimsproject/nims/auth"
)

// The operator's commands around access: tokens for local use, client registration, and
// the audit trail. Each works on the data directory, beside or instead of a running
// server: clients.json and the keys are re-read by the server, the audit log is its own
// database.

// listFlag collects a repeated or comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func dataFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	def := getenv("NIMS_DATA")
	if def == "" {
		def = "./data"
	}
	return fs.String("data", def, "data directory of the server (NIMS_DATA)")
}

// jobsDirFlag registers --jobs-dir, where asynchronous jobs keep their files ($import
// inputs and checkpoints, NHS batch files and their BUSACK reports). Any replica may take
// any queued job, so replicas sharing a MongoDB store must share this directory too.
func jobsDirFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("jobs-dir", getenv("NIMS_JOBS_DIR"), "directory of the jobs' files; DATA/jobs when empty. Replicas sharing a MongoDB store must share it (NIMS_JOBS_DIR)")
}

// jobsPath is the jobs directory flag's value, or DATA/jobs.
func jobsPath(flagValue, data string) string {
	if flagValue != "" {
		return flagValue
	}
	return filepath.Join(data, "jobs")
}

// authority opens the token service of a data directory, as the server does. Without
// baseURL it takes the one the server last started with (server.json): a token names
// the server it is for.
func authority(data, baseURL string) (*auth.Authority, error) {
	if baseURL == "" {
		info, err := readServerInfo(data)
		if err != nil {
			return nil, fmt.Errorf("%w; give --base-url, the server's public FHIR base URL", err)
		}
		baseURL = info.BaseURL
	}
	return auth.New(auth.Config{Dir: data, Issuer: baseURL, TokenURL: tokenURL(baseURL)})
}

// serverInfo is what nims serve leaves in the data directory for the commands run
// beside it.
type serverInfo struct {
	BaseURL string    `json:"base_url"`
	Started time.Time `json:"started"`
}

const serverInfoFile = "server.json"

func writeServerInfo(data, baseURL string) error {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(serverInfo{BaseURL: baseURL, Started: time.Now().UTC()}, "", "  ")
	tmp := filepath.Join(data, serverInfoFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(data, serverInfoFile))
}

func readServerInfo(data string) (serverInfo, error) {
	var info serverInfo
	b, err := os.ReadFile(filepath.Join(data, serverInfoFile))
	if err != nil {
		return info, fmt.Errorf("no server has run with --data %s yet", data)
	}
	if err := json.Unmarshal(b, &info); err != nil || info.BaseURL == "" {
		return info, fmt.Errorf("%s is not readable", filepath.Join(data, serverInfoFile))
	}
	return info, nil
}

// tokenURL is the token endpoint of a FHIR base URL: /auth/token beside /fhir.
func tokenURL(baseURL string) string {
	return strings.TrimSuffix(strings.TrimSuffix(baseURL, "/"), "/fhir") + "/auth/token"
}

// tokenCmd is nims token: a bearer token for an operator on this machine.
func tokenCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := dataFlag(fs, getenv)
	base := fs.String("base-url", getenv("NIMS_BASE_URL"), "the server's public FHIR base URL, as given to nims serve (NIMS_BASE_URL)")
	role := fs.String("role", "admin", "policy: "+strings.Join(auth.Roles(), ", "))
	scope := fs.String("scope", "", "SMART scopes wanted (space separated); empty means all the role allows")
	ttl := fs.Duration("ttl", time.Hour, "lifetime of the token")
	var ods, perms listFlag
	fs.Var(&ods, "ods", "gp role: ODS code of a practice (repeatable)")
	fs.Var(&perms, "permissions", "poc role: vaccine-type permissions such as FLU.CRUDS (repeatable, comma-separated)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := authority(*data, *base)
	if err != nil {
		return err
	}
	tok, err := a.LocalToken(*role, *scope, ods, perms, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// clientCmd is nims client add|list|disable.
func clientCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("nims client: want add, list or disable")
	}
	fs := flag.NewFlagSet("client "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := dataFlag(fs, getenv)
	switch args[0] {
	case "add":
		name := fs.String("name", "", "client's name, e.g. the supplier and system")
		role := fs.String("role", "", "policy: "+strings.Join(auth.Roles(), ", "))
		jwks := fs.String("jwks", "", "the client's public keys: a JWKS URL (https://…) or a file holding a JWK Set")
		var ods, perms listFlag
		fs.Var(&ods, "ods", "ODS code of a practice or organisation (repeatable); gp clients see the patients registered there")
		fs.Var(&perms, "permissions", "poc role: vaccine-type permissions such as FLU.CRUDS,COVID.CUD")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		reg, err := auth.OpenRegistry(*data)
		if err != nil {
			return err
		}
		c := auth.Client{Name: *name, Role: *role, ODS: ods, Permissions: perms}
		switch {
		case strings.HasPrefix(*jwks, "https://") || strings.HasPrefix(*jwks, "http://"):
			c.JWKSURL = *jwks
		case *jwks != "":
			b, err := os.ReadFile(*jwks)
			if err != nil {
				return fmt.Errorf("--jwks: %w", err)
			}
			c.JWKS = json.RawMessage(b)
		default:
			return errors.New("--jwks is required: a JWKS URL or a file with the client's public keys")
		}
		c, err = reg.Add(c)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registered %q as role %s\n%s\n", c.Name, c.Role, c.ID)
		return nil
	case "list":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		reg, err := auth.OpenRegistry(*data)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "CLIENT ID\tNAME\tROLE\tODS\tPERMISSIONS\tSTATE\tREGISTERED")
		for _, c := range reg.List() {
			state := "enabled"
			if c.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.Role, strings.Join(c.ODS, ","),
				strings.Join(c.Permissions, ","), state, c.Created.Format(time.RFC3339))
		}
		return w.Flush()
	case "disable":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("usage: nims client disable [--data DIR] CLIENT_ID")
		}
		reg, err := auth.OpenRegistry(*data)
		if err != nil {
			return err
		}
		if err := reg.Disable(fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled %s: its tokens are refused from now on\n", fs.Arg(0))
		return nil
	}
	return fmt.Errorf("nims client %s: want add, list or disable", args[0])
}

// auditCmd is nims audit verify|export.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("nims audit: want verify or export")
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := dataFlag(fs, getenv)
	since := fs.String("since", "", "export: only events at or after this instant (RFC 3339)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	log, err := audit.Open(*data, audit.Options{})
	if err != nil {
		return err
	}
	defer log.Close()
	switch args[0] {
	case "verify":
		n, err := log.Verify(ctx)
		if err != nil {
			return fmt.Errorf("the audit chain is broken after %d good events: %w", n, err)
		}
		fmt.Fprintf(stdout, "the audit chain verifies: %d events\n", n)
		return nil
	case "export":
		var t time.Time
		if *since != "" {
			if t, err = time.Parse(time.RFC3339, *since); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
		}
		_, err := log.Export(ctx, stdout, t)
		return err
	}
	return fmt.Errorf("nims audit %s: want verify or export", args[0])
}
