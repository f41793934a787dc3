package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nimsproject/nims/fhir"
)

// Client is a registered client application (SMART Backend Services: a client
// registers its public keys, as a JWKS URL or an inline JWK Set, out of band).
type Client struct {
	ID          string          `json:"id"` // client_id, assigned by Add
	Name        string          `json:"name"`
	Role        string          `json:"role"`
	JWKSURL     string          `json:"jwks_url,omitempty"`
	JWKS        json.RawMessage `json:"jwks,omitempty"`        // inline JWK Set
	ODS         []string        `json:"ods,omitempty"`         // the organisations it acts for
	Permissions []string        `json:"permissions,omitempty"` // NHS vaccine-type permissions (poc)
	Disabled    bool            `json:"disabled,omitempty"`
	Created     time.Time       `json:"created"`
}

// Registry is the set of clients, kept in DIR/clients.json. It is safe for concurrent
// use, and it notices when another process (nims client disable) rewrites the file:
// reads check the file at most once a second and reload it when it changed.
//
// Writes read the file afresh, change it and replace it atomically, so a server and a
// command do not lose each other's changes unless they write within the same instant;
// operators run one command at a time, and the file is not locked across processes.
type Registry struct {
	path string
	now  func() time.Time // tests move it forward

	mu       sync.Mutex
	clients  map[string]Client
	info     fs.FileInfo // of the file last read; nil when there was none
	lastStat time.Time
}

type registryFile struct {
	Clients []Client `json:"clients"`
}

// registryCheck is how often a read looks at the file for another process's changes.
const registryCheck = time.Second

// OpenRegistry opens the registry in dir, creating dir if need be. Errors: an unreadable
// or malformed clients.json.
func OpenRegistry(dir string) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fhir.Wrap("auth.OpenRegistry", err)
	}
	r := &Registry{path: filepath.Join(dir, "clients.json"), now: time.Now}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// load reads the file; the caller holds mu.
func (r *Registry) load() error {
	r.lastStat = r.now()
	data, err := os.ReadFile(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		r.clients, r.info = map[string]Client{}, nil
		return nil
	}
	if err != nil {
		return fhir.Wrap("auth.Registry", err)
	}
	info, err := os.Stat(r.path)
	if err != nil {
		return fhir.Wrap("auth.Registry", err)
	}
	var f registryFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fhir.Wrap("auth.Registry", errors.New("clients.json is malformed: "+err.Error()))
	}
	clients := make(map[string]Client, len(f.Clients))
	for _, c := range f.Clients {
		clients[c.ID] = c
	}
	r.clients, r.info = clients, info
	return nil
}

// refresh reloads the file if it changed since it was read, looking at most once per
// registryCheck; the caller holds mu. A failed reload keeps the clients known.
func (r *Registry) refresh() {
	now := r.now()
	if now.Sub(r.lastStat) < registryCheck && !now.Before(r.lastStat) {
		return
	}
	r.lastStat = now
	info, err := os.Stat(r.path)
	switch {
	case err != nil && r.info == nil:
		return
	case err == nil && r.info != nil && os.SameFile(info, r.info) &&
		info.ModTime().Equal(r.info.ModTime()) && info.Size() == r.info.Size():
		return
	}
	_ = r.load() // a torn or foreign file: keep serving what was read last
}

// Get returns the client with id.
func (r *Registry) Get(id string) (Client, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refresh()
	c, ok := r.clients[id]
	return c, ok
}

// enabled reports whether id is a known client that is not disabled.
func (r *Registry) enabled(id string) bool {
	c, ok := r.Get(id)
	return ok && !c.Disabled
}

// List returns every client, oldest first.
func (r *Registry) List() []Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refresh()
	list := make([]Client, 0, len(r.clients))
	for _, c := range r.clients {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b Client) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return list
}

// Add validates c, gives it a new random client_id and its creation time, and saves it.
// ID and Created as given are ignored. Errors: KindInvalid for a client that does not
// validate (see validate), KindInternal when the file cannot be written.
func (r *Registry) Add(c Client) (Client, error) {
	if err := c.validate(); err != nil {
		return Client{}, err
	}
	var id [16]byte
	rand.Read(id[:])
	c.ID = hex.EncodeToString(id[:])
	c.Created = r.now().UTC()
	if len(c.JWKS) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, c.JWKS); err == nil {
			c.JWKS = buf.Bytes()
		}
	}
	err := r.update(func(m map[string]Client) error {
		m[c.ID] = c
		return nil
	})
	return c, err
}

// Disable marks a client disabled: its token requests fail and its access tokens stop
// working (within a second, in a running server). Errors: KindNotFound for an unknown id.
func (r *Registry) Disable(id string) error {
	return r.update(func(m map[string]Client) error {
		c, ok := m[id]
		if !ok {
			return fhir.Errorf(fhir.KindNotFound, "not-found", "", "no client has id %q", id)
		}
		c.Disabled = true
		m[id] = c
		return nil
	})
}

// update applies change to the clients as the file holds them now, and writes them back.
func (r *Registry) update(change func(map[string]Client) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.load(); err != nil {
		return err
	}
	clients := make(map[string]Client, len(r.clients)+1)
	for id, c := range r.clients {
		clients[id] = c
	}
	if err := change(clients); err != nil {
		return err
	}
	f := registryFile{Clients: make([]Client, 0, len(clients))}
	for _, c := range clients {
		f.Clients = append(f.Clients, c)
	}
	slices.SortFunc(f.Clients, func(a, b Client) int { return a.Created.Compare(b.Created) })
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fhir.Wrap("auth.Registry", err)
	}
	if err := writeFileAtomic(r.path, append(data, '\n')); err != nil {
		return fhir.Wrap("auth.Registry", err)
	}
	return r.load()
}
