package filter

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits AWS documents for filter policies
// (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html).
const (
	// maxPolicyBytes: "The maximum size of a filter policy is 256 KB."
	maxPolicyBytes = 256 * 1024
	// maxKeys: "A filter policy can have a maximum of five keys." For a
	// nested (body) policy AWS counts only leaf keys, the ones holding a
	// list of values.
	maxKeys = 5
	// maxCombinations: "The total combination of values in a filter policy
	// must not exceed 150."
	maxCombinations = 150
	// maxPolicyNesting bounds the JSON nesting of the policy text itself.
	// AWS documents no such bound; the combination limit already rejects
	// any policy whose keys nest deeper than 150 (see complexity), so this
	// only protects the parser from pathological input. Chosen, not
	// AWS's.
	maxPolicyNesting = 1000
)

// Parse parses and validates a filter policy for a scope, as SNS does when
// Subscribe or SetSubscriptionAttributes sets FilterPolicy. An invalid
// policy is an *Error carrying AWS's message.
//
// The empty string is not a policy: SNS reads an empty FilterPolicy as "no
// policy", which callers handle before parsing.
//
// Validation follows AWS: the policy must be a JSON object of at most
// 256 KB whose keys hold arrays of values (or, with MessageBody scope,
// nested objects); values are strings, numbers, true, false, null or one
// of the operators prefix, suffix, equals-ignore-case, anything-but,
// numeric, exists and cidr, each checked for the operand types, orders and
// ranges AWS checks; "$or" combines alternatives; a policy (each "$or"
// alternative, counted on its own) has at most five keys, and at most 150
// combinations of values.
func Parse(policy string, scope Scope) (*Policy, error) {
	if scope != MessageAttributes && scope != MessageBody {
		return nil, &Error{Reason: "FilterPolicyScope: Invalid value [" + scope.String() +
			"]. Please use either MessageBody or MessageAttributes"}
	}
	if len(policy) > maxPolicyBytes {
		// AWS documents the limit, not its message; this text is ours.
		return nil, policyError("Filter policy is too long, the maximum size is 256 KB")
	}
	if !utf8.ValidString(policy) {
		// AWS requires "a valid UTF-8 string"; the message is ours.
		return nil, policyError("Filter policy must be valid UTF-8")
	}
	root, err := decodePolicy(policy)
	if err != nil {
		return nil, err
	}
	if root.kind != jObject {
		return nil, policyError("Filter is not an object")
	}

	var c compiler
	top := &conj{}
	if err := c.object(root, "", true, 1, top); err != nil {
		return nil, err
	}
	// AWS checks the scope after the policy itself: {"key": {"suffix": "x"}}
	// is refused for its shape ("suffix" must be an object or an array)
	// even in attribute scope.
	if c.nested && scope == MessageAttributes {
		return nil, &Error{Reason: "Filter policy scope MessageAttributes does not support nested filter policy"}
	}
	if top.keys() > maxKeys {
		return nil, policyError("Filter policy can not have more than 5 keys")
	}
	if top.complexity() > maxCombinations {
		return nil, policyError("Filter policy is too complex")
	}
	return build(scope, top.expand()), nil
}

// jnode is the policy's JSON, keeping the order of object keys (AWS reports
// the first problem in document order).
type jnode struct {
	kind  jkind
	text  string // string content, or a number as written
	b     bool
	keys  []string
	elems []*jnode // object values (parallel to keys) or array elements
}

type jkind uint8

const (
	jObject jkind = iota + 1
	jArray
	jString
	jNumber
	jBool
	jNull
)

// token is the text AWS's parser reports for a node that is out of place.
func (n *jnode) token() string {
	switch n.kind {
	case jObject:
		return "{"
	case jArray:
		return "["
	case jBool:
		return strconv.FormatBool(n.b)
	case jNull:
		return "null"
	}
	return n.text
}

func decodePolicy(policy string) (*jnode, error) {
	dec := json.NewDecoder(strings.NewReader(policy))
	dec.UseNumber()
	root, err := decodeNode(dec, 0)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the top-level value")
		}
	}
	if err != nil {
		var depth *depthError
		if errors.As(err, &depth) {
			return nil, policyError("Filter policy nesting is too deep")
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errors.New("unexpected end of input")
		}
		// AWS answers with its Java parser's message here, which cannot be
		// reproduced; this one names the problem the Go way.
		return nil, policyError("Invalid JSON: " + err.Error())
	}
	return root, nil
}

type depthError struct{}

func (*depthError) Error() string { return "nesting too deep" }

func decodeNode(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxPolicyNesting {
		return nil, &depthError{}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &jnode{kind: jArray}
		if t == '{' {
			n.kind = jObject
		}
		for dec.More() {
			if n.kind == jObject {
				key, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key.(string))
			}
			child, err := decodeNode(dec, depth+1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, child)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		return &jnode{kind: jString, text: t}, nil
	case json.Number:
		return &jnode{kind: jNumber, text: string(t)}, nil
	case bool:
		return &jnode{kind: jBool, b: t}, nil
	default:
		return &jnode{kind: jNull}, nil
	}
}

// conj is a conjunction of conditions: leaves, and "$or" groups of
// alternative conjunctions.
type conj struct {
	leaves []*leafSpec
	ors    [][]*conj
}

// leafSpec is a policy key holding a list of values.
type leafSpec struct {
	path  string
	depth int // object nesting of the key: 1 at the top level
	count int // number of values in the list
	leaf  leaf
}

// keys is the largest number of keys one alternative of c tests. AWS
// documents the five-key limit but not how "$or" counts towards it; each
// alternative counted on its own is the reading chosen here (it is how the
// combination limit treats alternatives too).
func (c *conj) keys() int {
	n := len(c.leaves)
	for _, alts := range c.ors {
		most := 0
		for _, a := range alts {
			most = max(most, a.keys())
		}
		n += most
	}
	return n
}

// complexity is AWS's "total combination of values", saturating above the
// limit. AWS multiplies, for each key, the number of its values by the
// nesting depth of the key (its example: four values three levels deep and
// three values two levels deep make 3 x 4 x 2 x 3 = 72), and sums the
// products of the alternatives of "$or" (its example: (source x metricName)
// + (source x metricType x metricId) + ...). Both rules are confirmed by
// AWS's answers to policies just over and at the limit.
func (c *conj) complexity() int {
	total := 1
	for _, l := range c.leaves {
		total = satMul(total, satMul(l.count, l.depth))
	}
	for _, alts := range c.ors {
		sum := 0
		for _, a := range alts {
			sum = min(sum+a.complexity(), maxCombinations+1)
		}
		total = satMul(total, sum)
	}
	return total
}

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > (maxCombinations+1)/b {
		return maxCombinations + 1
	}
	return min(a*b, maxCombinations+1)
}

// expand turns c into its alternatives: lists of leaves that must all hold.
// The combination limit bounds their number (each has at least one
// combination).
func (c *conj) expand() [][]*leafSpec {
	out := [][]*leafSpec{c.leaves}
	for _, alts := range c.ors {
		var next [][]*leafSpec
		for _, a := range alts {
			tails := a.expand()
			for _, head := range out {
				for _, tail := range tails {
					next = append(next, append(append([]*leafSpec(nil), head...), tail...))
				}
			}
		}
		out = next
	}
	return out
}

// compiler validates the policy tree and turns it into conjunctions.
type compiler struct {
	// nested records a key holding an object, which only MessageBody scope
	// allows.
	nested bool
}

// orKeywords are the field names that stop an "$or" array being read as
// alternatives (AWS: "None of the objects in the "$or" array have field
// names that are reserved keywords").
var orKeywords = map[string]bool{
	"anything-but": true, "cidr": true, "equals-ignore-case": true, "exists": true,
	"numeric": true, "prefix": true, "suffix": true,
}

// isOr reports whether the value of a "$or" key makes it an OR: AWS
// recognises one only for an array of at least two objects none of which
// has a reserved keyword as a field name; otherwise "$or" is an ordinary
// key.
func isOr(n *jnode) bool {
	if n.kind != jArray || len(n.elems) < 2 {
		return false
	}
	for _, e := range n.elems {
		if e.kind != jObject {
			return false
		}
		for _, k := range e.keys {
			if orKeywords[k] {
				return false
			}
		}
	}
	return true
}

func (c *compiler) object(n *jnode, prefix string, root bool, depth int, into *conj) error {
	if len(n.keys) == 0 {
		return policyError("Empty objects are not allowed")
	}
	for i, key := range n.keys {
		v := n.elems[i]
		if key == "$or" && isOr(v) {
			alts := make([]*conj, 0, len(v.elems))
			for _, e := range v.elems {
				alt := &conj{}
				// The alternatives stay at the depth of the "$or": AWS
				// counts {"$or": [{"a": [1, 2]}, ...]} at the top level.
				if err := c.object(e, prefix, root, depth, alt); err != nil {
					return err
				}
				alts = append(alts, alt)
			}
			into.ors = append(into.ors, alts)
			continue
		}
		path := key
		if !root {
			path = prefix + "." + key
		}
		switch v.kind {
		case jObject:
			c.nested = true
			if err := c.object(v, path, false, depth+1, into); err != nil {
				return err
			}
		case jArray:
			spec, err := values(v)
			if err != nil {
				return err
			}
			spec.path, spec.depth = path, depth
			into.leaves = append(into.leaves, spec)
		default:
			return policyError(`"` + key + `" must be an object or an array`)
		}
	}
	return nil
}

// values compiles the list of values of a key.
func values(list *jnode) (*leafSpec, error) {
	spec := &leafSpec{count: len(list.elems)}
	lf := &spec.leaf
	for _, e := range list.elems {
		switch e.kind {
		case jString:
			lf.matchers = append(lf.matchers, matcher{op: opString, str: e.text})
		case jNumber:
			lf.matchers = append(lf.matchers, matcher{op: opNumber, str: e.text, num: literalNumber(e.text)})
		case jBool:
			lf.matchers = append(lf.matchers, matcher{op: opBool, b: e.b})
		case jNull:
			lf.matchers = append(lf.matchers, matcher{op: opNull})
		case jObject:
			if err := expression(e, lf); err != nil {
				return nil, err
			}
		default:
			return nil, policyError("Match value must be String, number, true, false, or null")
		}
	}
	if len(list.elems) == 0 {
		return nil, policyError("Empty arrays are not allowed")
	}
	return spec, nil
}

// literalNumber is a number written in a list of values; unlike a numeric
// operand it may be outside the numeric range (it then matches as
// written).
func literalNumber(text string) number {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return number{}
	}
	return toNumber(f)
}

// expression compiles a match expression: an object with one operator key.
func expression(n *jnode, lf *leaf) error {
	if len(n.keys) == 0 {
		return policyError("Match expression name not found")
	}
	name, arg := n.keys[0], n.elems[0]
	onlyOne := func() error {
		if len(n.keys) > 1 {
			return policyError("Only one key allowed in match expression")
		}
		return nil
	}
	switch name {
	case "prefix", "suffix", "equals-ignore-case":
		if arg.kind != jString {
			return policyError(name + " match pattern must be a string")
		}
		if err := onlyOne(); err != nil {
			return err
		}
		o := map[string]op{"prefix": opPrefix, "suffix": opSuffix, "equals-ignore-case": opIgnoreCase}[name]
		lf.matchers = append(lf.matchers, matcher{op: o, str: arg.text})
	case "cidr":
		if arg.kind != jString {
			// Sic: AWS's engine reports a non-string cidr with the prefix
			// message.
			return policyError("prefix match pattern must be a string")
		}
		r, err := parseCIDR(arg.text)
		if err != nil {
			return err
		}
		if err := onlyOne(); err != nil {
			return err
		}
		lf.matchers = append(lf.matchers, matcher{op: opCIDR, cidr: r})
	case "exists":
		if arg.kind != jBool {
			return policyError("exists match pattern must be either true or false.")
		}
		if err := onlyOne(); err != nil {
			return err
		}
		if arg.b {
			lf.existsTrue = true
		} else {
			lf.existsFalse = true
		}
	case "numeric":
		if arg.kind != jArray {
			return policyError("Value of numeric must be an array.")
		}
		m, err := numeric(arg.elems)
		if err != nil {
			return err
		}
		if len(n.keys) > 1 {
			// Sic: AWS's engine words an extra key after numeric (and
			// after anything-but) this way.
			return policyError("Too many elements in numeric expression")
		}
		lf.matchers = append(lf.matchers, m)
	case "anything-but":
		m, err := anythingBut(arg)
		if err != nil {
			return err
		}
		if len(n.keys) > 1 {
			if arg.kind == jObject {
				return policyError("Only one key allowed in match expression")
			}
			return policyError("Too many elements in numeric expression")
		}
		lf.matchers = append(lf.matchers, m)
	default:
		return policyError("Unrecognized match type " + name)
	}
	return nil
}

// numeric compiles the operand of "numeric": ["=", x], ["<" | "<=", x],
// [">" | ">=", x] or [">" | ">=", x, "<" | "<=", y] with x < y.
func numeric(els []*jnode) (matcher, error) {
	if len(els) == 0 {
		return matcher{}, policyError("Invalid member in numeric match: ]")
	}
	if els[0].kind != jString {
		return matcher{}, policyError("Invalid member in numeric match: " + els[0].token())
	}
	first := els[0].text
	switch first {
	case "=", "<", "<=", ">", ">=":
	default:
		return matcher{}, policyError("Unrecognized numeric range operator: " + first)
	}
	lo, err := operand(first, els, 1)
	if err != nil {
		return matcher{}, err
	}
	var r numRange
	switch first {
	case "=", "<", "<=":
		if len(els) > 2 {
			return matcher{}, policyError("Too many elements in numeric expression")
		}
		n, err := inRange(first, lo)
		if err != nil {
			return matcher{}, err
		}
		switch first {
		case "=":
			r = numRange{lo: n, hi: n, hasLo: true, hasHi: true, loInclusive: true, hiInclusive: true}
		default:
			r = numRange{hi: n, hasHi: true, hiInclusive: first == "<="}
		}
		return matcher{op: opNumeric, rng: r}, nil
	}

	// ">" or ">=", alone or with an upper bound.
	if len(els) == 2 {
		n, err := inRange(first, lo)
		if err != nil {
			return matcher{}, err
		}
		r = numRange{lo: n, hasLo: true, loInclusive: first == ">="}
		return matcher{op: opNumeric, rng: r}, nil
	}
	if els[2].kind != jString {
		return matcher{}, policyError("Bad value in numeric range: " + els[2].token())
	}
	second := els[2].text
	if second != "<" && second != "<=" {
		return matcher{}, policyError("Bad numeric range operator: " + second)
	}
	hi, err := operand(second, els, 3)
	if err != nil {
		return matcher{}, err
	}
	if len(els) > 4 {
		return matcher{}, policyError("Too many terms in numeric range expression")
	}
	if lo >= hi {
		return matcher{}, policyError("Bottom must be less than top")
	}
	nlo, err := inRange(first, lo)
	if err != nil {
		return matcher{}, err
	}
	nhi, err := inRange(second, hi)
	if err != nil {
		return matcher{}, err
	}
	r = numRange{lo: nlo, hi: nhi, hasLo: true, hasHi: true, loInclusive: first == ">=", hiInclusive: second == "<="}
	return matcher{op: opNumeric, rng: r}, nil
}

// operand reads the number after a numeric operator.
func operand(operator string, els []*jnode, i int) (float64, error) {
	if i >= len(els) || els[i].kind != jNumber {
		if operator == "=" {
			operator = "equals"
		}
		return 0, policyError("Value of " + operator + " must be numeric")
	}
	f, _ := strconv.ParseFloat(els[i].text, 64) // ±Inf on overflow: out of range below
	return f, nil
}

// inRange converts a numeric operand, which AWS documents must lie within
// -1e9..1e9. The message is ours: AWS documents the range, not its error.
func inRange(operator string, f float64) (int64, error) {
	n := toNumber(f)
	if !n.ok || math.IsInf(f, 0) {
		if operator == "=" {
			operator = "equals"
		}
		return 0, policyError("Value of " + operator + " must be between -1000000000 and 1000000000")
	}
	return n.scaled, nil
}

// anythingBut compiles the operand of "anything-but": a string, a number, a
// list of only strings or only numbers, or {"prefix": s} / {"suffix": s}.
//
// AWS's documentation shows only the prefix form inside anything-but (and
// in May 2024 SNS answered "Unsupported anything-but pattern: suffix");
// the suffix form is accepted here because AWS's matching engine supports
// it and this emulator's users asked for it. equals-ignore-case inside
// anything-but is refused: SNS does not document it.
func anythingBut(arg *jnode) (matcher, error) {
	switch arg.kind {
	case jObject:
		if len(arg.keys) == 0 {
			return matcher{}, policyError("Anything-But expression name not found")
		}
		name, inner := arg.keys[0], arg.elems[0]
		if name != "prefix" && name != "suffix" {
			return matcher{}, policyError("Unsupported anything-but pattern: " + name)
		}
		if inner.kind != jString {
			return matcher{}, policyError(name + " match pattern must be a string")
		}
		if inner.text == "" {
			return matcher{}, policyError("Null prefix/suffix not allowed")
		}
		if len(arg.keys) > 1 {
			return matcher{}, policyError("Only one key allowed in match expression")
		}
		if name == "prefix" {
			return matcher{op: opNotPrefix, str: inner.text}, nil
		}
		return matcher{op: opNotSuffix, str: inner.text}, nil
	case jString:
		return matcher{op: opNotStrings, strs: []string{arg.text}}, nil
	case jNumber:
		n, err := excludedNumber(arg.text)
		if err != nil {
			return matcher{}, err
		}
		return matcher{op: opNotNumbers, nums: []int64{n}}, nil
	case jArray:
		var m matcher
		for _, e := range arg.elems {
			switch e.kind {
			case jString:
				m.strs = append(m.strs, e.text)
			case jNumber:
				n, err := excludedNumber(e.text)
				if err != nil {
					return matcher{}, err
				}
				m.nums = append(m.nums, n)
			default:
				return matcher{}, policyError("Inside anything but list, start|null|boolean is not supported.")
			}
		}
		if (len(m.strs) > 0) == (len(m.nums) > 0) {
			return matcher{}, policyError(
				"Inside anything but list, either all values are number or string, mixed type is not supported")
		}
		m.op = opNotStrings
		if len(m.nums) > 0 {
			m.op = opNotNumbers
		}
		return m, nil
	}
	return matcher{}, policyError("Value of anything-but must be an array or single string/number value.")
}

// excludedNumber converts a number excluded by anything-but, which like a
// numeric operand must be within the numeric range (message ours).
func excludedNumber(text string) (int64, error) {
	n := literalNumber(text)
	if !n.ok {
		return 0, policyError("Value of anything-but must be between -1000000000 and 1000000000")
	}
	return n.scaled, nil
}

// build lays the alternatives out for matching.
func build(scope Scope, alternatives [][]*leafSpec) *Policy {
	p := &Policy{scope: scope}
	index := map[string]int{}
	for b, specs := range alternatives {
		// A key named twice in one alternative (say "a.b" and {"a":{"b":..}})
		// keeps the later list, as AWS's engine does.
		byPath := map[string]int{}
		var leaves []*leaf
		for _, s := range specs {
			id, ok := index[s.path]
			if !ok {
				id = len(p.paths)
				index[s.path] = id
				p.paths = append(p.paths, s.path)
				p.uses = append(p.uses, nil)
			}
			lf := s.leaf // a copy per alternative: bit and path are per branch
			lf.path = id
			if at, dup := byPath[s.path]; dup {
				leaves[at] = &lf
				continue
			}
			byPath[s.path] = len(leaves)
			leaves = append(leaves, &lf)
		}
		br := branch{leaves: leaves}
		for i, lf := range leaves {
			lf.bit = uint8(i)
			br.all |= 1 << i
			p.uses[lf.path] = append(p.uses[lf.path], use{branch: b, bit: lf.bit, leaf: lf})
		}
		p.branches = append(p.branches, br)
	}
	if scope == MessageAttributes {
		return p
	}
	p.bodyIndex = map[string]int32{}
	for id, path := range p.paths {
		for i := 0; i < len(path); i++ {
			if path[i] == '.' {
				if _, ok := p.bodyIndex[path[:i]]; !ok {
					p.bodyIndex[path[:i]] = -1
				}
			}
		}
		p.bodyIndex[path] = int32(id)
	}
	return p
}
