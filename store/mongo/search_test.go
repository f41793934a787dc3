package mongo

// Under test, every filter that claims to be exact is held to it: a candidate it selects
// that Match rejects fails the search (search.go, checkExact), so the differential suite
// checks the claims the server's counts rely on.
func init() { checkExact = true }
