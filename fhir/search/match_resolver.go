package search

import "sync"

// MemResolver is a Resolver over a fixed set of decoded resources, the current versions:
// the fixture of Match's tests and of the backends' differential suite. It indexes each
// (type, parameter) pair's references on first use. It is safe for concurrent use.
type MemResolver struct {
	pos    map[string]int // "Type/id" → index in byType[Type]
	byType map[string][]map[string]any

	mu   sync.Mutex
	refs map[refIndex]map[string][]map[string]any // "Type/id" → referrers, in order
}

type refIndex struct {
	typ   string
	param *Param
}

var _ Resolver = (*MemResolver)(nil)

// NewMemResolver indexes objs by type and id. A later object with the same type and id
// replaces an earlier one (it is a newer version) and keeps its place.
func NewMemResolver(objs []map[string]any) *MemResolver {
	r := &MemResolver{
		pos:    make(map[string]int, len(objs)),
		byType: map[string][]map[string]any{},
		refs:   map[refIndex]map[string][]map[string]any{},
	}
	for _, obj := range objs {
		typ, id := resourceKey(obj)
		if typ == "" || id == "" {
			continue
		}
		k := typ + "/" + id
		if i, ok := r.pos[k]; ok {
			r.byType[typ][i] = obj
			continue
		}
		r.pos[k] = len(r.byType[typ])
		r.byType[typ] = append(r.byType[typ], obj)
	}
	return r
}

// Resolve returns the resource typ/id.
func (r *MemResolver) Resolve(typ, id string) (map[string]any, bool) {
	i, ok := r.pos[typ+"/"+id]
	if !ok {
		return nil, false
	}
	return r.byType[typ][i], true
}

// Referrers returns the resources of typ whose param has a local reference to
// targetType/targetID, each once, in the order NewMemResolver was given them.
func (r *MemResolver) Referrers(typ string, param *Param, targetType, targetID string) []map[string]any {
	if param == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	idx, ok := r.refs[refIndex{typ, param}]
	if !ok {
		idx = map[string][]map[string]any{}
		for _, obj := range r.byType[typ] {
			seen := map[string]bool{}
			for _, e := range param.Extract(obj) {
				if e.RefType == "" || e.RefID == "" || isOfType(&e) {
					continue
				}
				k := e.RefType + "/" + e.RefID
				if !seen[k] {
					seen[k] = true
					idx[k] = append(idx[k], obj)
				}
			}
		}
		r.refs[refIndex{typ, param}] = idx
	}
	return idx[targetType+"/"+targetID]
}

// All returns the resources of typ, in order: the candidates of a search.
func (r *MemResolver) All(typ string) []map[string]any {
	return r.byType[typ]
}
