package envelope

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// Expected strings are Python 3's repr(float) and json.dumps output.
func TestAppendPyFloat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{5, "5.0"},
		{99.5, "99.5"},
		{1e20, "1e+20"},
		{1e16, "1e+16"},
		{1e15, "1000000000000000.0"},
		{9999999999999998, "9999999999999998.0"},
		{1.5e-7, "1.5e-07"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{123456.789, "123456.789"},
		{1712345678.123456, "1712345678.123456"},
		{1712345678, "1712345678.0"},
		{-2.5e-300, "-2.5e-300"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{5e-324, "5e-324"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{1e22, "1e+22"},
		{123456789012345678, "1.2345678901234568e+17"},
		{12345678901234567, "1.2345678901234568e+16"},
		{1234567890123456.7, "1234567890123456.8"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, tt := range tests {
		if got := string(appendPyFloat(nil, tt.f)); got != tt.want {
			t.Errorf("appendPyFloat(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestAppendPyString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"a\"b\\c\n\r\t\b\f\x01\x7f", `"a\"b\\c\n\r\t\b\f\u0001\u007f"`},
		{"räksmörgås", `"r\u00e4ksm\u00f6rg\u00e5s"`},
		{"emoji😀", `"emoji\ud83d\ude00"`},
		{"<>&/", `"<>&/"`},
		{"\u2028", `"\u2028"`},
		{"bad\xffutf8", `"bad\ufffdutf8"`},
	}
	for _, tt := range tests {
		if got := string(appendPyString(nil, tt.in)); got != tt.want {
			t.Errorf("appendPyString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestRewritePy(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"b":1,"a":[true,false,null,"x"]}`, `{"b": 1, "a": [true, false, null, "x"]}`},
		{` { } `, `{}`},
		{`[ ]`, `[]`},
		{`{"k":{"n":[1.50,1e21,1E-7,0.000001,-0.0,2.0]}}`, `{"k": {"n": [1.5, 1e+21, 1e-07, 1e-06, -0.0, 2.0]}}`},
		{`"\u003c\u003e\u0026\/\u00e4"`, `"<>&/\u00e4"`},
		{`"\ud83d\ude00 \ud83d"`, `"\ud83d\ude00 \ufffd"`},
		{`12345678901234567890123`, `12345678901234567890123`},
		{`1e400`, `1e400`},
	}
	for _, tt := range tests {
		got, err := rewritePy(nil, tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("rewritePy(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":}`, `[1,]`, `01`, `1.`, `"\x"`, `"a`, `tru`, `{} {}`, "\"\x01\""} {
		if _, err := rewritePy(nil, bad); err == nil {
			t.Errorf("rewritePy(%q) succeeded", bad)
		}
	}
}

// TestMarshalPyKeepsValues checks that the Python-style rewrite of
// encoding/json's output decodes to the same value.
func TestMarshalPyKeepsValues(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	in := map[string]any{
		"s": "<tag> & \"quotes\" \\ räk 😀 \u2028 \x7f",
		"n": []any{1.0, 2.5, 1e-7, 1e21, -3.0},
		"o": map[string]any{"nested": []any{true, nil}},
	}
	out, err := marshalPy(nil, in)
	is.NoErr(err)
	for _, c := range out {
		is.True(c < 0x80) // ASCII only
	}
	var back map[string]any
	is.NoErr(json.Unmarshal(out, &back))
	is.True(reflect.DeepEqual(back, in))
}

// FuzzIsPyRepr checks the fast path of the number rewrite: a token it takes
// as already in Python's form must be exactly what repr writes.
func FuzzIsPyRepr(f *testing.F) {
	for _, s := range []string{"12.5", "0.0", "-0.0", "0.0001", "0.00001", "100.0", "1.50",
		"123456789012345.6", "1234567890123456.7", "0.1234567890123456", "9007199254740993.0", "5e-324"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		sc := scanner{s: tok}
		if n, err := sc.number(); err != nil || n != tok || !strings.ContainsAny(tok, ".eE") {
			return
		}
		if !isPyRepr(tok) {
			return
		}
		v, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendPyFloat(nil, v)); got != tok {
			t.Fatalf("isPyRepr(%q) but repr is %q", tok, got)
		}
	})
}

// TestRewritePyFloatsFromEncodingJSON checks that floats as encoding/json
// writes them come out as Python's repr writes them, over many magnitudes.
func TestRewritePyFloatsFromEncodingJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		f := r.Float64() * math.Pow(10, float64(r.IntN(50)-25))
		if r.IntN(4) == 0 {
			f = math.Round(f*100) / 100 // prices and the like
		}
		tok, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		want := string(appendPyFloat(nil, f))
		if !strings.ContainsAny(string(tok), ".eE") {
			continue // integral: encoding/json writes an integer, which stays one
		}
		got, err := rewritePy(nil, string(tok))
		if err != nil || string(got) != want {
			t.Fatalf("rewritePy(%s) = %s, %v; want %s", tok, got, err, want)
		}
	}
}
