package filter

import "math/bits"

// Body matching walks the JSON body once. Objects join keys with "." into
// paths, so the policy key "a.b", the nested policy {"a":{"b":...}}, the body
// {"a":{"b":...}} and the body {"a.b":...} all meet at the path "a.b" (AWS
// flattens both sides the same way). Arrays are transparent: every element
// of an array is a value of the array's path.
//
// Conditions on several paths inside one array must hold within one element
// of it, as in AWS's matching engine: {"r":{"a":["x"],"b":["y"]}} matches
// {"r":[{"a":"x","b":"y"}]} but not {"r":[{"a":"x"},{"b":"y"}]}. The walk
// computes, for every node and every branch, the set of leaf combinations
// its subtree can satisfy together: a bitset over the (at most 32) subsets
// of a branch's at most five leaves. An object combines its members' sets
// (every member can contribute), an array unions its elements' sets (one
// element is chosen). A branch matches when the body's set holds every
// leaf not already satisfied by {"exists": false}.

// setEmpty is the set holding only the empty combination: a subtree that
// satisfies nothing.
const setEmpty uint32 = 1

// bodyWalk is the state of one matchBody call.
type bodyWalk struct {
	lexer
	p         *Policy
	nb        int      // branches
	path      []byte   // current path
	sets      []uint32 // per nesting depth, one set per branch
	present   []bool   // per policy path: a non-null, non-empty value seen
	scalars   int      // every scalar in the body, named by the policy or not
	leafValue value    // the scalar being matched, reused
}

func (p *Policy) matchBody(body string) bool {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)

	w := bodyWalk{lexer: lexer{s: body}, p: p, nb: len(p.branches), path: sc.path[:0]}
	w.present = clearBools(sc.present, len(p.paths))
	w.sets = sc.sets[:0]
	defer func() { sc.path, sc.present, sc.sets = w.path, w.present, w.sets }()

	w.ws()
	if w.peek() != '{' {
		return false // not a JSON object: never delivered
	}
	if !w.object(true, 0) {
		return false
	}
	w.ws()
	if w.i != len(w.s) {
		return false
	}
	return p.decide(w.sets[:w.nb], w.present, w.scalars > 0)
}

// decide reports whether any branch is satisfied by the root's sets.
func (p *Policy) decide(root []uint32, present []bool, anyValue bool) bool {
	for b := range p.branches {
		br := &p.branches[b]
		need := br.all
		for _, lf := range br.leaves {
			// AWS: "exists": false only matches if at least one attribute
			// (here: body value) is present at all.
			if lf.existsFalse && anyValue && !present[lf.path] {
				need &^= 1 << lf.bit
			}
		}
		for set := root[b]; set != 0; set &= set - 1 {
			if combo := uint32(bits.TrailingZeros32(set)); combo&need == need {
				return true
			}
		}
	}
	return false
}

// grow makes room for the sets of nesting depth d. Callers index w.sets
// afresh after any call that may grow it.
func (w *bodyWalk) grow(d int) {
	need := (d + 1) * w.nb
	for len(w.sets) < need {
		w.sets = append(w.sets, setEmpty)
	}
	for i := d * w.nb; i < need; i++ {
		w.sets[i] = setEmpty
	}
}

// value reads the value at the current path (a path the policy names) into
// the sets of depth d.
func (w *bodyWalk) value(leafIdx int32, d int) bool {
	switch w.peek() {
	case '{':
		return w.object(false, d)
	case '[':
		return w.array(leafIdx, d)
	}
	w.grow(d)
	w.scalars++
	v := &w.leafValue
	if !w.scalar(v, leafIdx >= 0) {
		return false
	}
	if leafIdx < 0 {
		return true
	}
	if v.present() {
		w.present[leafIdx] = true
	}
	uses := w.p.uses[leafIdx]
	sets := w.sets[d*w.nb : (d+1)*w.nb]
	for j := 0; j < len(uses); {
		b := uses[j].branch
		var combo uint32
		for ; j < len(uses) && uses[j].branch == b; j++ {
			if uses[j].leaf.matchValue(v) {
				combo |= 1 << uses[j].bit
			}
		}
		if combo != 0 {
			sets[b] = setEmpty | 1<<combo
		}
	}
	return true
}

// object reads an object into the sets of depth d. A policy leaf at the
// object's own path gets nothing from it: only scalars are values, and
// AWS's "exists" works on leaf nodes only.
func (w *bodyWalk) object(root bool, d int) bool {
	if d >= maxNesting {
		return false
	}
	w.grow(d)
	w.i++ // '{'
	w.ws()
	if w.peek() == '}' {
		w.i++
		return true
	}
	for {
		w.ws()
		raw, escaped, ok := w.str()
		if !ok {
			return false
		}
		w.ws()
		if w.peek() != ':' {
			return false
		}
		w.i++
		w.ws()

		mark := len(w.path)
		if !root {
			w.path = append(w.path, '.')
		}
		if escaped {
			w.path = append(w.path, unescape(raw)...)
		} else {
			w.path = append(w.path, raw...)
		}
		idx, named := w.p.bodyIndex[string(w.path)]
		if named {
			ok = w.value(idx, d+1)
		} else {
			ok = w.skip(d+1, &w.scalars)
		}
		w.path = w.path[:mark]
		if !ok {
			return false
		}
		if named {
			own, child := w.sets[d*w.nb:(d+1)*w.nb], w.sets[(d+1)*w.nb:(d+2)*w.nb]
			for b, c := range child {
				if c != setEmpty {
					own[b] = combine(own[b], c)
				}
			}
		}

		w.ws()
		switch w.peek() {
		case ',':
			w.i++
		case '}':
			w.i++
			return true
		default:
			return false
		}
	}
}

// array reads an array whose elements are all values of the current path.
func (w *bodyWalk) array(leafIdx int32, d int) bool {
	if d >= maxNesting {
		return false
	}
	w.grow(d)
	w.i++ // '['
	w.ws()
	if w.peek() == ']' {
		w.i++
		return true
	}
	for {
		w.ws()
		if !w.value(leafIdx, d+1) {
			return false
		}
		own, child := w.sets[d*w.nb:(d+1)*w.nb], w.sets[(d+1)*w.nb:(d+2)*w.nb]
		for b, c := range child {
			own[b] |= c
		}
		w.ws()
		switch w.peek() {
		case ',':
			w.i++
		case ']':
			w.i++
			return true
		default:
			return false
		}
	}
}

// combine returns every union of a combination from a and one from b: what
// two sibling subtrees can satisfy together.
func combine(a, b uint32) uint32 {
	if a == setEmpty {
		return b
	}
	var out uint32
	for x := a; x != 0; x &= x - 1 {
		i := bits.TrailingZeros32(x)
		for y := b; y != 0; y &= y - 1 {
			out |= 1 << (i | bits.TrailingZeros32(y))
		}
	}
	return out
}

func clearBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}
