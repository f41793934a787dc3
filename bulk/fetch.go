package bulk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// Sources are the URL prefixes an import may fetch its inputs from, as the operator
// configured them (nims serve --import-sources): each an http or https URL, matched by
// scheme, host and port exactly and by path at a segment boundary. No other URL is ever
// fetched, so a client cannot make the server read its own files or probe its network.
type Sources []string

// Check says whether raw may be fetched: nil, or a *fhir.Error of KindInvalid that says
// why not.
func (s Sources) Check(raw string) error {
	if len(s) == 0 {
		return fhir.Errorf(fhir.KindInvalid, "not-supported", "",
			"this server takes no URL inputs: no import sources are configured (nims serve --import-sources); send the NDJSON as the request body instead")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawPath != "" || u.Fragment != "" {
		return fhir.Errorf(fhir.KindInvalid, "value", "", "the input URL %q is not a plain http or https URL", raw)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return fhir.Errorf(fhir.KindInvalid, "value", "", "the input URL %q has dot segments", raw)
		}
	}
	for _, prefix := range s {
		if under(u, prefix) {
			return nil
		}
	}
	return fhir.Errorf(fhir.KindInvalid, "value", "", "the input URL %q is not under any of the import sources this server accepts", raw)
}

// under reports whether u is within the prefix.
func under(u *url.URL, prefix string) bool {
	p, err := url.Parse(prefix)
	if err != nil || !strings.EqualFold(p.Scheme, u.Scheme) || !strings.EqualFold(p.Host, u.Host) {
		return false
	}
	if p.Path == "" || strings.HasSuffix(p.Path, "/") {
		return strings.HasPrefix(u.Path, p.Path)
	}
	return u.Path == p.Path || strings.HasPrefix(u.Path, p.Path+"/")
}

// fetch downloads an input to path (through path.part, renamed when whole), refusing
// more than limit bytes and redirects that leave the sources.
func (r *Runner) fetch(ctx context.Context, raw, path string, limit int64) error {
	if err := r.Sources.Check(raw); err != nil {
		return err
	}
	client := r.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return r.Sources.Check(req.URL.String())
		}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return fetchErr(fhir.KindInvalid, raw, "it is not a valid request URL")
	}
	req.Header.Set("Accept", "application/fhir+ndjson")
	resp, err := client.Do(req)
	var refused *fhir.Error
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &refused): // CheckRedirect's
		return fetchErr(fhir.KindInvalid, raw, "it redirects outside the import sources")
	case err != nil:
		return fetchErr(fhir.KindUnavailable, raw, "it could not be fetched (a network error)")
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fetchErr(fhir.KindUnavailable, raw, fmt.Sprintf("its server answered %d", resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		return fetchErr(fhir.KindInvalid, raw, fmt.Sprintf("its server answered %d", resp.StatusCode))
	}
	f, err := os.OpenFile(path+".part", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fetchErr(fhir.KindUnavailable, raw, "the download broke off")
	case n > limit:
		os.Remove(path + ".part")
		return fhir.Errorf(fhir.KindTooLarge, "too-long", "", "the input %s is larger than the limit of %d bytes", raw, limit)
	}
	return os.Rename(path+".part", path)
}

// fetchErr is a failed download: KindUnavailable when a later attempt may succeed.
func fetchErr(kind fhir.Kind, raw, why string) error {
	return fhir.Errorf(kind, "exception", "", "the input %s could not be loaded: %s", raw, why)
}
