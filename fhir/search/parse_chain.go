package search

import (
	"slices"
	"strings"

	"github.com/nimsproject/nims/fhir"
)

// resolve turns a parameter key into the Filter it denotes on resource type typ, without
// values: the parameter, its modifier, and any chain (patient.identifier,
// subject:Patient.birthdate, to any depth) or reverse chain (_has:Type:ref:key, nested).
// known is false when some name in the key is not a parameter of its type: an unknown
// parameter, which lenient mode ignores.
// https://hl7.org/fhir/R4/search.html#chaining
func (p *parser) resolve(typ, key string, depth int) (f Filter, known bool, err *fhir.Error) {
	if depth > maxDepth {
		return f, false, unsupportedf("search parameter %s chains more than %d links", echo(p.key), maxDepth)
	}
	if rest, ok := strings.CutPrefix(key, "_has:"); ok {
		return p.resolveHas(typ, rest, depth)
	}
	name := longestName(typ, key)
	if name == "" {
		return f, false, nil
	}
	f.Param = LookupParam(typ, name)
	if f.Param.Type == TypeComposite || f.Param.Type == TypeSpecial {
		return f, false, unsupportedf("search parameter %s (a %s parameter) is not supported by this server", echo(p.key), f.Param.Type)
	}
	rest := key[len(name):]
	if rest == "" {
		return f, true, nil
	}
	var target string
	if rest[0] == ':' {
		mod, after, chained := strings.Cut(rest[1:], ".")
		if !chained {
			f.Modifier, f.TargetType, err = p.modifier(f.Param, mod)
			return f, true, err
		}
		if f.Param.Type != TypeReference {
			return f, false, invalidf("search parameter %s: only a reference parameter can be chained, and %s is a %s parameter", echo(p.key), name, f.Param.Type)
		}
		if !fhir.IsResourceType(mod) || !refersTo(f.Param, mod) {
			return f, false, invalidf("search parameter %s: %s does not refer to %s", echo(p.key), name, echo(mod))
		}
		target, rest = mod, after
	} else {
		if f.Param.Type != TypeReference {
			return f, false, invalidf("search parameter %s: only a reference parameter can be chained, and %s is a %s parameter", echo(p.key), name, f.Param.Type)
		}
		rest = rest[1:]
		if target, known, err = p.chainTarget(f.Param, rest); err != nil || !known {
			return f, known, err
		}
	}
	inner, known, err := p.resolve(target, rest, depth+1)
	if err != nil || !known {
		return f, known, err
	}
	f.TargetType = target
	f.Chain = &inner
	return f, true, nil
}

// resolveHas reads Type:refparam:key after "_has:": resources of Type whose refparam
// refers to the candidate and that pass key.
// https://hl7.org/fhir/R4/search.html#has
func (p *parser) resolveHas(typ, rest string, depth int) (f Filter, known bool, err *fhir.Error) {
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) < 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return f, false, invalidf("search parameter %s: _has is written _has:Type:reference-parameter:parameter=value", echo(p.key))
	}
	hasType, refName, inner := parts[0], parts[1], parts[2]
	if !fhir.IsResourceType(hasType) {
		return f, false, invalidf("search parameter %s: %s is not a resource type", echo(p.key), echo(hasType))
	}
	ref := LookupParam(hasType, refName)
	if ref == nil {
		return f, false, nil
	}
	if ref.Type != TypeReference {
		return f, false, invalidf("search parameter %s: %s of %s is not a reference parameter", echo(p.key), refName, hasType)
	}
	if !refersTo(ref, typ) {
		return f, false, invalidf("search parameter %s: %s of %s does not refer to %s", echo(p.key), refName, hasType, typ)
	}
	sub, known, err := p.resolve(hasType, inner, depth+1)
	if err != nil || !known {
		return f, known, err
	}
	f.Has = &Has{Type: hasType, RefParam: ref, Filter: sub}
	return f, true, nil
}

// chainTarget is the type a chain through reference parameter ref continues on, when the
// key does not name it (ref:Type.x): the one type ref can refer to, or else the one of
// its types that has the next parameter. More than one is ambiguous: the client must say
// which with :Type, as FHIR recommends (search.html#chaining).
func (p *parser) chainTarget(ref *Param, rest string) (string, bool, *fhir.Error) {
	if !anyTarget(ref) && len(ref.Targets) == 1 {
		return ref.Targets[0], true, nil
	}
	if anyTarget(ref) {
		return "", false, invalidf("search parameter %s: %s may refer to any type; name the type, as in %s:Patient.%s", echo(p.key), ref.Name, ref.Name, rest)
	}
	var candidates []string
	for _, t := range ref.Targets {
		if strings.HasPrefix(rest, "_has:") || longestName(t, rest) != "" {
			candidates = append(candidates, t)
		}
	}
	switch len(candidates) {
	case 0:
		return "", false, nil
	case 1:
		return candidates[0], true, nil
	}
	return "", false, invalidf("search parameter %s is ambiguous: %s may refer to %s; name the type, as in %s:%s.%s",
		echo(p.key), ref.Name, strings.Join(candidates, ", "), ref.Name, candidates[0], rest)
}

// longestName returns the longest prefix of key, ending at a ':' or '.' or at the end,
// that is a parameter of typ; "" if none is. Longest, because the programme's names
// contain dots (-date.from, -immunization.target).
func longestName(typ, key string) string {
	for i := len(key); i > 0; i-- {
		if i < len(key) && key[i] != ':' && key[i] != '.' {
			continue
		}
		if LookupParam(typ, key[:i]) != nil {
			return key[:i]
		}
	}
	return ""
}

// anyTarget reports whether reference parameter ref may refer to any type.
func anyTarget(ref *Param) bool {
	return len(ref.Targets) == 0 || slices.Contains(ref.Targets, "Resource")
}

// refersTo reports whether reference parameter ref may refer to a resource of type typ.
func refersTo(ref *Param, typ string) bool {
	if anyTarget(ref) {
		return fhir.IsResourceType(typ)
	}
	return slices.Contains(ref.Targets, typ)
}

// modifierNames are the R4 modifiers (search.html#modifiers) other than :[type].
var modifierNames = map[string]Modifier{
	"missing": ModMissing, "exact": ModExact, "contains": ModContains, "text": ModText,
	"not": ModNot, "above": ModAbove, "below": ModBelow, "in": ModIn, "not-in": ModNotIn,
	"of-type": ModOfType, "identifier": ModIdentifier,
}

// modifier checks that modifier mod applies to parameter prm and that this server
// supports it there. For :[type] on a reference it returns the type.
func (p *parser) modifier(prm *Param, mod string) (Modifier, string, *fhir.Error) {
	m, ok := modifierNames[mod]
	if !ok {
		if prm.Type == TypeReference && fhir.IsResourceType(mod) {
			if !refersTo(prm, mod) {
				return 0, "", invalidf("search parameter %s: %s does not refer to %s", echo(p.key), prm.Name, mod)
			}
			return ModType, mod, nil
		}
		return 0, "", invalidf("search parameter %s: %s is not a search modifier", echo(p.key), echo(mod))
	}
	if supportedMods[prm.Type]&(1<<m) != 0 {
		return m, "", nil
	}
	if terminologyMods[prm.Type]&(1<<m) != 0 {
		return 0, "", unsupportedf("search parameter %s: the :%s modifier is not supported by this server", echo(p.key), mod)
	}
	return 0, "", invalidf("search parameter %s: the :%s modifier does not apply to a %s parameter", echo(p.key), mod, prm.Type)
}

// supportedMods are, per parameter type, the modifiers Parse accepts.
var supportedMods = map[ParamType]uint32{
	TypeToken:     modSet(ModMissing, ModText, ModNot, ModOfType),
	TypeString:    modSet(ModMissing, ModExact, ModContains),
	TypeDate:      modSet(ModMissing),
	TypeNumber:    modSet(ModMissing),
	TypeQuantity:  modSet(ModMissing),
	TypeReference: modSet(ModMissing, ModIdentifier, ModText),
	TypeURI:       modSet(ModMissing, ModContains, ModAbove, ModBelow),
}

// terminologyMods are the modifiers FHIR defines for a type that this server does not
// implement: on tokens, subsumption and value-set membership need a terminology
// service; on references, :above/:below walk canonical versions. Always a 400, since
// ignoring them would widen the results. (:above/:below on a uri compare path segments,
// which needs no terminology.)
var terminologyMods = map[ParamType]uint32{
	TypeToken:     modSet(ModAbove, ModBelow, ModIn, ModNotIn),
	TypeReference: modSet(ModAbove, ModBelow),
}

func modSet(ms ...Modifier) uint32 {
	var b uint32
	for _, m := range ms {
		b |= 1 << m
	}
	return b
}
