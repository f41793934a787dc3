package search

import (
	"fmt"
	"strings"
)

// Compiling the FHIRPath subset of path.go. The table compiles every row once, when it is
// first used; TestTableBuilds and TestTablePathsExistInR4 compile and check them all.

// compilePath compiles an expression of the subset path.go describes.
func compilePath(expr string) (*fhirPath, error) {
	p := &fhirPath{}
	for _, term := range splitFHIRPath(expr, '|') {
		b, err := compileBranch(strings.TrimSpace(term))
		if err != nil {
			return nil, fmt.Errorf("fhirpath %q: %w", expr, err)
		}
		p.branches = append(p.branches, b)
	}
	return p, nil
}

func compileBranch(term string) (pathBranch, error) {
	var b pathBranch
	as := ""
	if strings.HasPrefix(term, "(") && strings.HasSuffix(term, ")") {
		term = strings.TrimSpace(term[1 : len(term)-1])
	}
	if i := strings.LastIndex(term, " as "); i >= 0 {
		term, as = strings.TrimSpace(term[:i]), strings.TrimSpace(term[i+4:])
		if !isFHIRTypeName(as) {
			return b, fmt.Errorf("bad type %q after as", as)
		}
	}
	parts := splitFHIRPath(term, '.')
	if len(parts) == 0 || !isFHIRTypeName(parts[0]) || parts[0][0] < 'A' || parts[0][0] > 'Z' {
		return b, fmt.Errorf("the path must start with a type")
	}
	if parts[0] != "Resource" && parts[0] != "DomainResource" {
		b.head = parts[0]
	}
	for _, part := range parts[1:] {
		st, err := compileStep(part)
		if err != nil {
			return b, err
		}
		b.steps = append(b.steps, st)
	}
	if as != "" {
		b.steps = append(b.steps, pathStep{as: as})
	}
	return b, nil
}

func compileStep(part string) (pathStep, error) {
	fn, arg, isCall := strings.Cut(part, "(")
	if !isCall {
		if !isFHIRElementName(part) {
			return pathStep{}, fmt.Errorf("bad element name %q", part)
		}
		return pathStep{name: part, choice: choiceElements[part]}, nil
	}
	arg, ok := strings.CutSuffix(arg, ")")
	if !ok {
		return pathStep{}, fmt.Errorf("unclosed call in %q", part)
	}
	arg = strings.TrimSpace(arg)
	switch fn {
	case "as", "ofType":
		if !isFHIRTypeName(arg) {
			return pathStep{}, fmt.Errorf("bad type in %q", part)
		}
		return pathStep{as: arg}, nil
	case "where":
		if t, ok := strings.CutPrefix(arg, "resolve() is "); ok && isFHIRTypeName(t) {
			return pathStep{cond: &whereCond{isType: t}}, nil
		}
		field, lit, ok := strings.Cut(arg, "=")
		field, lit = strings.TrimSpace(field), strings.TrimSpace(lit)
		if ok && isFHIRElementName(field) && len(lit) >= 2 && lit[0] == '\'' && lit[len(lit)-1] == '\'' {
			return pathStep{cond: &whereCond{field: field, value: lit[1 : len(lit)-1]}}, nil
		}
	}
	return pathStep{}, fmt.Errorf("unsupported %q", part)
}

// splitFHIRPath splits s at sep outside parentheses and quotes.
func splitFHIRPath(s string, sep byte) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func isFHIRElementName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isFHIRTypeName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
