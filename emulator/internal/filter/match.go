package filter

import (
	"slices"
	"strings"
)

// op is the kind of test a matcher applies to one value.
type op uint8

const (
	opString     op = iota + 1 // "value"
	opNumber                   // 301.5
	opBool                     // true, false
	opNull                     // null
	opPrefix                   // {"prefix": "bas"}
	opSuffix                   // {"suffix": "ball"}
	opIgnoreCase               // {"equals-ignore-case": "tennis"}
	opNumeric                  // {"numeric": [">", 0, "<=", 150]}
	opCIDR                     // {"cidr": "10.0.0.0/24"}
	opNotStrings               // {"anything-but": "x"}, {"anything-but": ["x", "y"]}
	opNotNumbers               // {"anything-but": 100}, {"anything-but": [100, 500]}
	opNotPrefix                // {"anything-but": {"prefix": "order-"}}
	opNotSuffix                // {"anything-but": {"suffix": "-test"}}
)

// matcher is one entry of a policy key's value list, except "exists",
// which is a property of the key (leaf) rather than of a value.
type matcher struct {
	op   op
	str  string   // opString, opNumber (as written), opPrefix, opSuffix, opIgnoreCase, opNotPrefix, opNotSuffix
	strs []string // opNotStrings
	nums []int64  // opNotNumbers, scaled
	num  number   // opNumber
	b    bool     // opBool
	rng  numRange // opNumeric
	cidr ipRange  // opCIDR
}

// negative reports whether the matcher is an anything-but.
func (m *matcher) negative() bool { return m.op >= opNotStrings }

// match reports whether v passes the matcher.
//
// Matching is typed, as AWS compares JSON values: a string policy value
// never equals a number, numeric conditions only match numbers, and prefix,
// suffix, equals-ignore-case and cidr only match strings. anything-but
// matches every value that is not excluded, whatever its type (AWS's
// matching engine keeps a set of excluded values and lets everything else
// through; the documentation is silent on mixed types).
func (m *matcher) match(v *value) bool {
	switch m.op {
	case opString:
		return v.kind == kString && v.str == m.str
	case opNumber:
		if v.kind != kNumber {
			return false
		}
		// Numbers compare numerically (1 == 1.0 == 1e0); numbers outside
		// the numeric range (an AWS account id, say) still match as
		// written.
		if v.str == m.str {
			return true
		}
		n := v.number()
		return m.num.ok && n.ok && n.scaled == m.num.scaled
	case opBool:
		return v.kind == kBool && v.b == m.b
	case opNull:
		return v.kind == kNull
	case opPrefix:
		return v.kind == kString && strings.HasPrefix(v.str, m.str)
	case opSuffix:
		return v.kind == kString && strings.HasSuffix(v.str, m.str)
	case opIgnoreCase:
		return v.kind == kString && strings.EqualFold(v.str, m.str)
	case opNumeric:
		if v.kind != kNumber {
			return false
		}
		n := v.number()
		return n.ok && m.rng.contains(n.scaled)
	case opCIDR:
		return v.kind == kString && m.cidr.contains(v.str)
	case opNotStrings:
		return v.kind != kString || !slices.Contains(m.strs, v.str)
	case opNotNumbers:
		if v.kind != kNumber {
			return true
		}
		n := v.number()
		return !n.ok || !slices.Contains(m.nums, n.scaled)
	case opNotPrefix:
		return v.kind != kString || !strings.HasPrefix(v.str, m.str)
	case opNotSuffix:
		return v.kind != kString || !strings.HasSuffix(v.str, m.str)
	}
	return false
}

// numRange is a numeric condition over scaled numbers; "=" is the range
// [x, x].
type numRange struct {
	lo, hi                   int64
	hasLo, hasHi             bool
	loInclusive, hiInclusive bool
}

func (r numRange) contains(x int64) bool {
	if r.hasLo && (x < r.lo || (x == r.lo && !r.loInclusive)) {
		return false
	}
	if r.hasHi && (x > r.hi || (x == r.hi && !r.hiInclusive)) {
		return false
	}
	return true
}

// leaf is one key of a branch with its list of values, any of which may
// match (the list is an OR).
type leaf struct {
	path        int
	bit         uint8
	matchers    []matcher
	existsTrue  bool
	existsFalse bool
}

// matchValue reports whether one value of the key satisfies the leaf.
func (lf *leaf) matchValue(v *value) bool {
	if lf.existsTrue && v.present() {
		return true
	}
	for i := range lf.matchers {
		if lf.matchers[i].match(v) {
			return true
		}
	}
	return false
}
