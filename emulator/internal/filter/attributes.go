package filter

import "strings"

// attrClass is how a message attribute's data type filters.
type attrClass uint8

const (
	classString attrClass = iota
	classNumber
	classArray
	classBinary
)

// classify maps a DataType to how it filters. Custom types ("Number.x")
// filter as their base type. AWS ignores Binary attributes for filtering;
// here they are treated as absent. "Number.Array" is not an SNS type, but
// AWS's documentation filters one in its anything-but example, so it reads
// like String.Array.
func classify(dataType string) attrClass {
	if dataType == "String.Array" || dataType == "Number.Array" {
		return classArray
	}
	base, _, _ := strings.Cut(dataType, ".")
	switch base {
	case "Number":
		return classNumber
	case "Binary":
		return classBinary
	}
	return classString
}

// attrState is what one Match call learned about one attribute the policy
// names; it is filled on first use.
type attrState struct {
	loaded  bool
	found   bool // present in the message and not Binary
	present bool // has a non-null, non-empty value (for "exists": true)
	array   bool
	one     value // the value, unless array
	lo, hi  int   // array elements, in scratch.vals
}

func (p *Policy) matchAttributes(attrs map[string]Attribute) bool {
	// AWS: "exists": false only matches if at least one attribute is
	// present; an empty set of attributes results in the filter not
	// matching.
	anyAttr := false
	for _, a := range attrs {
		if classify(a.Type) != classBinary {
			anyAttr = true
			break
		}
	}

	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	states := sc.attrs[:0]
	for range p.paths {
		states = append(states, attrState{})
	}
	vals := sc.vals[:0]
	defer func() { sc.attrs, sc.vals = states, vals }()

	for b := range p.branches {
		all := true
		for _, lf := range p.branches[b].leaves {
			st := &states[lf.path]
			if !st.loaded {
				vals = loadAttribute(st, attrs, p.paths[lf.path], vals)
			}
			if !lf.matchAttribute(st, vals, anyAttr) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// loadAttribute fills st for the attribute called name, appending array
// elements to vals.
func loadAttribute(st *attrState, attrs map[string]Attribute, name string, vals []value) []value {
	st.loaded = true
	a, ok := attrs[name]
	if !ok {
		return vals
	}
	switch classify(a.Type) {
	case classBinary:
		return vals
	case classNumber:
		st.one = value{kind: kNumber, str: a.Value}
	case classString:
		st.one = value{kind: kString, str: a.Value}
	case classArray:
		st.array = true
		st.lo = len(vals)
		var valid bool
		if vals, valid = appendArray(vals, a.Value); !valid {
			vals = vals[:st.lo] // not a JSON array: no values to match
		}
		st.hi = len(vals)
		for i := st.lo; i < st.hi; i++ {
			st.present = st.present || vals[i].present()
		}
	}
	st.found = true
	if !st.array {
		st.present = st.one.present()
	}
	return vals
}

// matchAttribute reports whether the attribute satisfies the leaf.
//
// For a String.Array, each element is matched on its own and one matching
// element is enough; anything-but is the exception: AWS documents that it
// matches a String.Array only if none of the elements is excluded.
func (lf *leaf) matchAttribute(st *attrState, vals []value, anyAttr bool) bool {
	if lf.existsFalse && !st.present && anyAttr {
		return true
	}
	if !st.found {
		return false
	}
	if !st.array {
		return lf.matchValue(&st.one)
	}
	if lf.existsTrue && st.present {
		return true
	}
	elems := vals[st.lo:st.hi]
	for i := range lf.matchers {
		m := &lf.matchers[i]
		if m.negative() {
			if len(elems) > 0 && allMatch(m, elems) {
				return true
			}
			continue
		}
		for j := range elems {
			if m.match(&elems[j]) {
				return true
			}
		}
	}
	return false
}

func allMatch(m *matcher, elems []value) bool {
	for j := range elems {
		if !m.match(&elems[j]) {
			return false
		}
	}
	return true
}

// appendArray appends the scalar elements of the JSON array text to vals.
// Nested arrays and objects are skipped: AWS does not match inside them
// ("nesting may produce unexpected results").
func appendArray(vals []value, text string) ([]value, bool) {
	l := lexer{s: text}
	l.ws()
	if l.peek() != '[' {
		return vals, false
	}
	l.i++
	l.ws()
	if l.peek() == ']' {
		l.i++
		l.ws()
		return vals, l.i == len(l.s)
	}
	var ignored int
	for {
		l.ws()
		if c := l.peek(); c == '{' || c == '[' {
			if !l.skip(1, &ignored) {
				return vals, false
			}
		} else {
			var v value
			if !l.scalar(&v, true) {
				return vals, false
			}
			vals = append(vals, v)
		}
		l.ws()
		switch l.peek() {
		case ',':
			l.i++
		case ']':
			l.i++
			l.ws()
			return vals, l.i == len(l.s)
		default:
			return vals, false
		}
	}
}
