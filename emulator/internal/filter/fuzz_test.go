package filter

import (
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"a": ["x", 1, true, null]}`,
		`{"a": [{"prefix": "p"}, {"suffix": "s"}, {"equals-ignore-case": "E"}]}`,
		`{"a": [{"numeric": [">", 0, "<=", 150]}, {"numeric": ["=", 3.015e2]}]}`,
		`{"a": [{"anything-but": ["x", "y"]}, {"anything-but": {"prefix": "q"}}, {"anything-but": [1, 2]}]}`,
		`{"a": [{"exists": false}], "b": [{"cidr": "10.0.0.0/24"}]}`,
		`{"s": ["x"], "$or": [{"m": ["y"]}, {"t": ["z"], "$or": [{"i": [1]}, {"j": [2]}]}]}`,
		`{"a": {"b": {"c": ["x"]}}, "d.e": [{"exists": true}]}`,
		`{"$or": [{"numeric": 123}, {"prefix": "abc"}]}`,
		`{"a": [{"numeric": [">", 3, "<", 1]}]}`,
		`{"a": [[1]]}`, `{}`, `[]`, `{"a": "x"}`, ``,
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, policy string, body bool) {
		scope := MessageAttributes
		if body {
			scope = MessageBody
		}
		p, err := Parse(policy, scope)
		if err != nil {
			var e *Error
			if p != nil || !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "Invalid parameter: ") {
				t.Fatalf("Parse(%q) = %v, %v: want a nil policy and an *Error", policy, p, err)
			}
			return
		}
		if len(p.branches) == 0 || len(p.branches) > maxCombinations {
			t.Fatalf("Parse(%q): %d alternatives", policy, len(p.branches))
		}
		for _, br := range p.branches {
			if len(br.leaves) == 0 || len(br.leaves) > maxKeys {
				t.Fatalf("Parse(%q): an alternative with %d keys", policy, len(br.leaves))
			}
		}
		// Matching anything against an accepted policy must not panic.
		attrs := map[string]Attribute{}
		for _, path := range p.paths {
			attrs[path] = str("x")
		}
		p.Match(attrs, `{"a": {"b": ["x", 1, null, true, {"c": "d"}]}, "d.e": "x"}`)
		p.Match(nil, policy)
	})
}

// fuzzBodyPolicies exercise every operator, nesting, arrays and "$or".
var fuzzBodyPolicies = []string{
	`{"r": {"a": ["x", {"prefix": "p"}], "b": [{"numeric": [">", 1, "<=", 10]}]}, "c": [{"exists": false}]}`,
	`{"$or": [{"a": [{"anything-but": ["x", "y"]}]}, {"b": {"c": [null, true, 5, {"suffix": "z"}]}}], "d": [{"exists": true}]}`,
	`{"a.b": [{"equals-ignore-case": "X"}, {"cidr": "10.0.0.0/8"}], "a": {"c": [{"anything-but": {"prefix": "q"}}, {"anything-but": [1, 2]}]}}`,
	`{"r": {"s": {"a": [{"exists": true}], "b": [{"exists": false}, "y"]}}}`,
	`{"r": {"a": ["x", "y", 1], "b": [{"exists": true}]}}`,
	`{"r": {"a": [{"anything-but": "x"}], "s": {"a": ["pq", 2, true]}}}`,
}

var fuzzAttributePolicies = []string{
	`{"a": ["x", {"prefix": "p"}, 1.5], "n": [{"numeric": [">", 0, "<", 100]}]}`,
	`{"$or": [{"a": [{"anything-but": {"prefix": "q"}}]}, {"s": [{"exists": false}, {"suffix": "z"}]}]}`,
	`{"s": [{"anything-but": ["x", "y"]}, null, true], "a": [{"exists": true}]}`,
}

func FuzzMatch(f *testing.F) {
	for _, seed := range []string{
		`{"r": {"a": "x", "b": 5}, "d": 1}`,
		`{"r": [{"a": "pq", "b": 2}, {"a": "x"}], "c": null}`,
		`{"a": "x", "b": {"c": [null, "az"]}, "d": ""}`,
		`{"a.b": "x", "a": {"b": "10.1.2.3", "c": ["q", 3]}}`,
		`{"r": {"s": [{"a": "1"}, {"b": "y"}]}}`,
		`{"r": [[{"a": "x"}], {"b": 7}]}`,
		`{"a\u002eb": "X", "\u0061": [1, 2]}`,
		`not json`, `[1]`, `{"a": 1e5000}`, `{}`,
	} {
		f.Add(seed, "String", "x")
		f.Add(seed, "String.Array", `["x", 5, null, "pz"]`)
		f.Add(seed, "Number", "42")
	}
	body := make([]*Policy, len(fuzzBodyPolicies))
	for i, s := range fuzzBodyPolicies {
		body[i] = mustParse(f, s, MessageBody)
	}
	attr := make([]*Policy, len(fuzzAttributePolicies))
	for i, s := range fuzzAttributePolicies {
		attr[i] = mustParse(f, s, MessageAttributes)
	}
	f.Fuzz(func(t *testing.T, msg, attrType, attrValue string) {
		for i, p := range body {
			got := p.Match(nil, msg)
			if !utf8.ValidString(msg) {
				continue // encoding/json rewrites invalid UTF-8; no oracle
			}
			if want := referenceMatch(p, msg); got != want {
				t.Fatalf("policy %s, body %q: Match = %v, reference = %v", fuzzBodyPolicies[i], msg, got, want)
			}
		}
		attrs := map[string]Attribute{
			"a": {Type: attrType, Value: attrValue},
			"n": {Type: "Number", Value: attrValue},
			"s": {Type: "String.Array", Value: attrValue},
		}
		for _, p := range attr {
			if p.Match(attrs, msg) != p.Match(attrs, "") {
				t.Fatalf("attribute scope read the body")
			}
		}
	})
}

func mustParse(tb testing.TB, policy string, scope Scope) *Policy {
	tb.Helper()
	p, err := Parse(policy, scope)
	if err != nil {
		tb.Fatalf("Parse(%s): %v", policy, err)
	}
	return p
}

// referenceMatch is a slow, obviously-correct body matcher used as the
// fuzz oracle for the single-pass walk: it decodes with encoding/json,
// lists every scalar with its path and the array elements it sits in, and
// searches for one value per key that all sit in consistent array elements.
func referenceMatch(p *Policy, body string) bool {
	if !json.Valid([]byte(body)) || !strings.HasPrefix(strings.TrimLeft(body, " \t\r\n"), "{") {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var r refFlattener
	if err := r.node(dec, "", true, nil); err != nil {
		panic(err) // json.Valid said it was valid
	}
	present := make([]bool, len(p.paths))
	index := map[string]int{}
	for i, path := range p.paths {
		index[path] = i
	}
	for _, e := range r.entries {
		if i, ok := index[e.path]; ok && e.v.present() {
			present[i] = true
		}
	}
	for _, br := range p.branches {
		var need [][]refEntry
		ok := true
		for _, lf := range br.leaves {
			if lf.existsFalse && !present[lf.path] && len(r.entries) > 0 {
				continue
			}
			var candidates []refEntry
			for _, e := range r.entries {
				if e.path == p.paths[lf.path] && lf.matchValue(&e.v) {
					candidates = append(candidates, e)
				}
			}
			if len(candidates) == 0 {
				ok = false
				break
			}
			need = append(need, candidates)
		}
		if ok && refChoose(need, nil) {
			return true
		}
	}
	return false
}

type refPos struct{ array, index int }

type refEntry struct {
	path string
	v    value
	in   []refPos
}

type refFlattener struct {
	entries []refEntry
	arrays  int
}

func (r *refFlattener) node(dec *json.Decoder, path string, root bool, in []refPos) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				child := k.(string)
				if !root {
					child = path + "." + child
				}
				if err := r.node(dec, child, false, in); err != nil {
					return err
				}
			}
		} else {
			r.arrays++
			id := r.arrays
			for i := 0; dec.More(); i++ {
				if err := r.node(dec, path, root, append(in[:len(in):len(in)], refPos{id, i})); err != nil {
					return err
				}
			}
		}
		_, err := dec.Token()
		if err == io.EOF {
			err = nil
		}
		return err
	case string:
		r.add(path, value{kind: kString, str: t}, in)
	case json.Number:
		r.add(path, value{kind: kNumber, str: string(t)}, in)
	case bool:
		r.add(path, value{kind: kBool, b: t}, in)
	default:
		r.add(path, value{kind: kNull}, in)
	}
	return nil
}

func (r *refFlattener) add(path string, v value, in []refPos) {
	r.entries = append(r.entries, refEntry{path: path, v: v, in: in})
}

// refChoose reports whether one entry can be picked from each list so that
// all picks agree on the element of every array they share.
func refChoose(lists [][]refEntry, picked []refEntry) bool {
	if len(lists) == 0 {
		return true
	}
	for _, e := range lists[0] {
		if consistent(e, picked) && refChoose(lists[1:], append(picked, e)) {
			return true
		}
	}
	return false
}

func consistent(e refEntry, picked []refEntry) bool {
	for _, o := range picked {
		for _, a := range e.in {
			for _, b := range o.in {
				if a.array == b.array && a.index != b.index {
					return false
				}
			}
		}
	}
	return true
}

// TestMatchBodyAgreesWithReference compares the single-pass walk with the
// reference matcher on bodies generated from the vocabulary of the fuzz
// policies, nested objects and arrays included, so array-element
// consistency is exercised far more densely than random bytes would.
func TestMatchBodyAgreesWithReference(t *testing.T) {
	t.Parallel()
	policies := make([]*Policy, len(fuzzBodyPolicies))
	for i, s := range fuzzBodyPolicies {
		policies[i] = mustParse(t, s, MessageBody)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"r", "a", "b", "c", "d", "s", "a.b", "r.a"}
	scalars := []string{`"x"`, `"y"`, `"pq"`, `"az"`, `"X"`, `"10.2.3.4"`, `"q1"`, `""`, `1`, `2`, `5`, `10.0`, `11`, `null`, `true`, `false`}
	var gen func(depth int) string
	gen = func(depth int) string {
		switch n := rng.IntN(10); {
		case depth > 3 || n < 4:
			return scalars[rng.IntN(len(scalars))]
		case n < 7:
			var b strings.Builder
			b.WriteString("{")
			for i := range rng.IntN(4) {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(`"` + keys[rng.IntN(len(keys))] + `":` + gen(depth+1))
			}
			b.WriteString("}")
			return b.String()
		default:
			var b strings.Builder
			b.WriteString("[")
			for i := range rng.IntN(4) {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(gen(depth + 1))
			}
			b.WriteString("]")
			return b.String()
		}
	}
	matched := make([]int, len(policies))
	for range 20000 {
		body := "{"
		for i := range 1 + rng.IntN(4) {
			if i > 0 {
				body += ","
			}
			body += `"` + keys[rng.IntN(len(keys))] + `":` + gen(0)
		}
		body += "}"
		for i, p := range policies {
			got, want := p.Match(nil, body), referenceMatch(p, body)
			if got != want {
				t.Fatalf("policy %s, body %s: Match = %v, reference = %v", fuzzBodyPolicies[i], body, got, want)
			}
			if got {
				matched[i]++
			}
		}
	}
	for i, n := range matched {
		if n == 0 {
			t.Errorf("policy %s matched no generated body: the comparison tested nothing", fuzzBodyPolicies[i])
		}
	}
	t.Logf("matches per policy out of 20000: %v", matched)
}
