package auth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nimsproject/nims/fhir"
)

func openTestRegistry(t *testing.T, dir string, c *clock) *Registry {
	t.Helper()
	r, err := OpenRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.now = c.now
	return r
}

func TestRegistryAddGetListDisable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // made by OpenRegistry
	c := newClock()
	r := openTestRegistry(t, dir, c)
	key := clientTestKey(t, "RS384", "k1")

	a, err := r.Add(Client{ID: "chosen", Name: "Point of care", Role: RolePOC, JWKS: jwksOf(key),
		Permissions: []string{"FLU.CRUDS"}, Created: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ID) != 32 || strings.Trim(a.ID, "0123456789abcdef") != "" {
		t.Errorf("client_id %q is not 32 hex characters", a.ID)
	}
	if !a.Created.Equal(c.now()) {
		t.Errorf("Created = %v, want the clock's %v", a.Created, c.now())
	}
	c.add(time.Minute)
	b, err := r.Add(Client{Name: "GP system", Role: RoleGP, JWKSURL: "https://gp.example/jwks.json", ODS: []string{"A81001"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID {
		t.Fatal("two clients share an id")
	}

	got, ok := r.Get(a.ID)
	if !ok || got.Name != "Point of care" || got.Role != RolePOC || got.Permissions[0] != "FLU.CRUDS" {
		t.Errorf("Get(a) = %+v, %v", got, ok)
	}
	if _, ok := r.Get("chosen"); ok {
		t.Error("Add kept the id it was given")
	}
	if list := r.List(); len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Errorf("List() = %+v, want a then b", list)
	}

	if err := r.Disable(b.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Get(b.ID); !got.Disabled || r.enabled(b.ID) {
		t.Error("Disable did not disable")
	}
	if !r.enabled(a.ID) {
		t.Error("Disable disabled another client")
	}
	if err := r.Disable("nobody"); fhir.KindOf(err) != fhir.KindNotFound {
		t.Errorf("Disable(unknown) = %v, want KindNotFound", err)
	}

	// The file: 0600, and a new Registry reads the same clients.
	info, err := os.Stat(filepath.Join(dir, "clients.json"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("clients.json mode %v, want 0600", info.Mode().Perm())
	}
	r2 := openTestRegistry(t, dir, c)
	if got, ok := r2.Get(b.ID); !ok || !got.Disabled || got.ODS[0] != "A81001" {
		t.Errorf("reopened Get(b) = %+v, %v", got, ok)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// A disable made by another process (another Registry on the same file) reaches a
// running one within a second.
func TestRegistryReloadsAfterAnotherDisables(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	server := openTestRegistry(t, dir, c)
	cl, err := server.Add(Client{Name: "x", Role: RoleBooking, JWKSURL: "https://b.example/jwks"})
	if err != nil {
		t.Fatal(err)
	}
	if !server.enabled(cl.ID) {
		t.Fatal("new client not enabled")
	}
	command := openTestRegistry(t, dir, c)
	if err := command.Disable(cl.ID); err != nil {
		t.Fatal(err)
	}
	// Within the second the server has not looked: at most one stat a second.
	if !server.enabled(cl.ID) {
		t.Error("the server looked at the file again within the second")
	}
	c.add(registryCheck)
	if server.enabled(cl.ID) {
		t.Error("the server did not notice the disable after a second")
	}
	// And a client the other process adds appears too.
	added, err := command.Add(Client{Name: "y", Role: RolePass, JWKSURL: "https://p.example/jwks"})
	if err != nil {
		t.Fatal(err)
	}
	c.add(registryCheck)
	if _, ok := server.Get(added.ID); !ok {
		t.Error("the server did not notice the new client")
	}
	// An Add on the server keeps what the other process wrote.
	if _, err := server.Add(Client{Name: "z", Role: RolePass, JWKSURL: "https://p.example/jwks"}); err != nil {
		t.Fatal(err)
	}
	if list := command.List(); len(list) != 3 || !list[0].Disabled {
		t.Errorf("after both wrote: %+v", list)
	}
}

func TestRegistryValidation(t *testing.T) {
	rsaKey := clientTestKey(t, "RS384", "rsa")
	p256 := clientTestKey(t, "ES256", "p256")
	noKid := clientTestKey(t, "ES384", "")
	valid := Client{Name: "n", Role: RoleBooking, JWKS: jwksOf(rsaKey)}
	r := openTestRegistry(t, t.TempDir(), newClock())
	for _, tc := range []struct {
		name   string
		change func(*Client)
		ok     bool
	}{
		{"valid inline", func(*Client) {}, true},
		{"valid URL", func(c *Client) { c.JWKS, c.JWKSURL = nil, "https://client.example/.well-known/jwks.json" }, true},
		{"http loopback", func(c *Client) { c.JWKS, c.JWKSURL = nil, "http://127.0.0.1:8080/jwks" }, true},
		{"http localhost", func(c *Client) { c.JWKS, c.JWKSURL = nil, "http://localhost/jwks" }, true},
		{"http ::1", func(c *Client) { c.JWKS, c.JWKSURL = nil, "http://[::1]:9/jwks" }, true},
		{"http elsewhere", func(c *Client) { c.JWKS, c.JWKSURL = nil, "http://client.example/jwks" }, false},
		{"ftp", func(c *Client) { c.JWKS, c.JWKSURL = nil, "ftp://client.example/jwks" }, false},
		{"relative URL", func(c *Client) { c.JWKS, c.JWKSURL = nil, "/jwks" }, false},
		{"URL with credentials", func(c *Client) { c.JWKS, c.JWKSURL = nil, "https://u:p@client.example/jwks" }, false},
		{"both URL and set", func(c *Client) { c.JWKSURL = "https://client.example/jwks" }, false},
		{"neither", func(c *Client) { c.JWKS = nil }, false},
		{"set not JSON", func(c *Client) { c.JWKS = json.RawMessage(`{`) }, false},
		{"set empty", func(c *Client) { c.JWKS = json.RawMessage(`{"keys":[]}`) }, false},
		{"set only P-256", func(c *Client) { c.JWKS = jwksOf(p256) }, false},
		{"set key without kid", func(c *Client) { c.JWKS = jwksOf(noKid) }, false},
		{"set with private key", func(c *Client) {
			c.JWKS = json.RawMessage(`{"keys":[{"kty":"EC","kid":"a","crv":"P-384","x":"AA","y":"AA","d":"AA"}]}`)
		}, false},
		{"no name", func(c *Client) { c.Name = " " }, false},
		{"unknown role", func(c *Client) { c.Role = "superuser" }, false},
		{"no role", func(c *Client) { c.Role = "" }, false},
		{"gp with ODS", func(c *Client) { c.Role, c.ODS = RoleGP, []string{"A81001", "B82002"} }, true},
		{"gp without ODS", func(c *Client) { c.Role = RoleGP }, false},
		{"bad ODS", func(c *Client) { c.Role, c.ODS = RoleGP, []string{"a81001"} }, false},
		{"bad ODS for another role", func(c *Client) { c.ODS = []string{"12"} }, false},
		{"poc permissions", func(c *Client) { c.Role, c.Permissions = RolePOC, []string{"FLU.CRUDS", "COVID.CUD", "HPV.R"} }, true},
		{"poc unknown vaccine", func(c *Client) { c.Role, c.Permissions = RolePOC, []string{"PLAGUE.R"} }, false},
		{"poc bad letters", func(c *Client) { c.Role, c.Permissions = RolePOC, []string{"FLU.crud"} }, false},
		{"permissions on another role", func(c *Client) { c.Permissions = []string{"FLU.R"} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid
			tc.change(&c)
			_, err := r.Add(c)
			if (err == nil) != tc.ok {
				t.Fatalf("Add(%+v) = %v; want ok %v", c, err, tc.ok)
			}
			if err != nil && fhir.KindOf(err) != fhir.KindInvalid {
				t.Errorf("Add error %v is not KindInvalid", err)
			}
		})
	}
}

func TestOpenRegistryMalformed(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "clients.json"), []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRegistry(dir); err == nil {
		t.Error("OpenRegistry accepted a malformed clients.json")
	}
}
