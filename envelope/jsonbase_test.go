package envelope_test

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/envelope"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestJSONOpenCompressedFromPython opens an envelope whose data Python's
// json, zlib and base64 compressed the way tomodachi does.
func TestJSONOpenCompressedFromPython(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	o, err := envelope.JSON(envelope.Service{}).Open(readTestdata(t, "jsonbase_compressed.json"))
	is.NoErr(err)
	is.Equal(o.Meta.DataEncoding, "base64_gzip_json")
	is.Equal(o.Meta.MessageUUID, vecService.UUID+"."+vecUUID4)
	is.Equal(string(o.Data), readTestdata(t, "jsonbase_compressed.data.json"))
}

// TestJSONSealCompressedLikePython seals the same data and checks that the
// envelope matches Python's except for the zlib stream itself (zlib and Go's
// compress/flate choose different, equally valid, encodings), which
// decompresses to the same bytes.
func TestJSONSealCompressedLikePython(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	data := readTestdata(t, "jsonbase_compressed.data.json")
	python := readTestdata(t, "jsonbase_compressed.json")
	sealed, err := fixedJSON().Seal("order-created", json.RawMessage(data), nil)
	is.NoErr(err)
	dataField := regexp.MustCompile(`"data": "[A-Za-z0-9+/=]+"}$`)
	is.Equal(dataField.ReplaceAllString(sealed, ""), dataField.ReplaceAllString(python, ""))
	o, err := envelope.JSON(envelope.Service{}).Open(sealed)
	is.NoErr(err)
	is.Equal(string(o.Data), data)
}

// TestJSONCompressionThreshold checks tomodachi's rule: data whose
// Python-style serialisation has 60,000 characters or more is compressed.
func TestJSONCompressionThreshold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     string // a Go string, serialised with its quotes
		encoding string
	}{
		{"59,999 characters", strings.Repeat("a", 59997), "raw"},
		{"60,000 characters", strings.Repeat("a", 59998), "base64_gzip_json"},
		// Each "ä" is one Go rune but six characters once escaped (\u00e4).
		{"escaping counts", strings.Repeat("ä", 10000), "base64_gzip_json"},
		{"escaping counts, below", strings.Repeat("ä", 9999), "raw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			sealed, err := fixedJSON().Seal("t", tt.data, nil)
			is.NoErr(err)
			o, err := envelope.JSON(envelope.Service{}).Open(sealed)
			is.NoErr(err)
			is.Equal(o.Meta.DataEncoding, tt.encoding)
			var back string
			is.NoErr(json.Unmarshal(o.Data, &back))
			is.Equal(back, tt.data)
		})
	}
}

func TestJSONSealDefaults(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := envelope.JSON(envelope.Service{})
	is.Equal(env.Service.Name, "service")
	is.True(regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(env.Service.UUID))

	before := time.Now()
	sealed, err := env.Seal("topic", map[string]int{"a": 1}, nil)
	is.NoErr(err)
	o, err := env.Open(sealed)
	is.NoErr(err)
	is.Equal(len(o.Meta.MessageUUID), 73) // as tomodachi's tests assert
	is.Equal(o.Meta.MessageUUID[:37], env.Service.UUID+".")
	is.True(!o.Meta.Time().Before(before.Truncate(time.Microsecond)))
	is.True(!o.Meta.Time().After(time.Now()))

	again, err := env.Seal("topic", map[string]int{"a": 1}, nil)
	is.NoErr(err)
	o2, err := env.Open(again)
	is.NoErr(err)
	is.True(o2.Meta.MessageUUID != o.Meta.MessageUUID)

	// The zero value works: no service uuid means a bare uuid4.
	var zero envelope.JSONBase
	sealed, err = zero.Seal("", nil, nil)
	is.NoErr(err)
	o, err = zero.Open(sealed)
	is.NoErr(err)
	is.Equal(len(o.Meta.MessageUUID), 36)
	is.Equal(string(o.Data), "null")
}

func TestJSONSealEscapesServiceAndTopic(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := &envelope.JSONBase{
		Service: envelope.Service{Name: `svc "ä"`, UUID: "u\u00e9"},
		NewUUID: func() string { return "x" },
		Now:     func() time.Time { return time.Unix(5, 0) },
	}
	sealed, err := env.Seal("topic/ü", "<&>", nil)
	is.NoErr(err)
	is.Equal(sealed, `{"service": {"name": "svc \"\u00e4\"", "uuid": "u\u00e9"}, "metadata": {"message_uuid": "u\u00e9.x", `+
		`"protocol_version": "tomodachi-json-base--1.0.0", "compatible_protocol_versions": ["json_base-wip"], "timestamp": 5.0, `+
		`"topic": "topic/\u00fc", "data_encoding": "raw"}, "data": "<&>"}`)
	o, err := env.Open(sealed)
	is.NoErr(err)
	is.Equal(o.Meta.ServiceName, `svc "ä"`)
	is.Equal(o.Meta.Topic, "topic/ü")
}

func TestJSONSealErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data any
		kind error
	}{
		{"unmarshalable", make(chan int), envelope.ErrUnsupportedValue},
		{"bad raw message", json.RawMessage(`{"a":`), envelope.ErrNotJSON},
		{"too large even compressed", incompressible(400000), envelope.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			_, err := fixedJSON().Seal("t", tt.data, nil)
			is.True(errors.Is(err, tt.kind))
			is.True(strings.HasPrefix(err.Error(), "envelope: seal json"))
		})
	}
}

// incompressible returns n bytes of pseudo-random base64 text, which
// compresses poorly.
func incompressible(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n*3/4)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// TestJSONOpenVariants checks what other publishers' near-variants of the
// envelope open as.
func TestJSONOpenVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
		meta    envelope.Metadata
		data    string
	}{
		{"only data", `{"data": {"a": 1}}`, envelope.Metadata{}, `{"a": 1}`},
		{"data first, compact", `{"data":[1,2],"metadata":{"message_uuid":"m","timestamp":12}}`,
			envelope.Metadata{MessageUUID: "m", Timestamp: 12}, `[1,2]`},
		{"nulls", `{"service": null, "metadata": {"timestamp": null, "topic": null, "data_encoding": null}, "data": null}`,
			envelope.Metadata{}, `null`},
		{"extra members", ` {"x": [{}], "metadata": {"extra": {"y": 1}, "data_encoding": "raw"}, "data": "s", "z": true} `,
			envelope.Metadata{DataEncoding: "raw"}, `"s"`},
		{"escaped keys and values", `{"d\u0061ta": 1, "service": {"n\u0061me": "\u00e4\ud83d\ude00"}}`,
			envelope.Metadata{ServiceName: "ä😀"}, `1`},
		{"duplicate data: the last wins", `{"data": 1, "data": 2}`, envelope.Metadata{}, `2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			o, err := envelope.JSON(envelope.Service{}).Open(tt.payload)
			is.NoErr(err)
			is.Equal(o.Meta, tt.meta)
			is.Equal(string(o.Data), tt.data)
		})
	}
}

func TestJSONOpenErrors(t *testing.T) {
	t.Parallel()
	compressed := func(data []byte) string {
		return `{"metadata": {"data_encoding": "base64_gzip_json"}, "data": "` + base64.StdEncoding.EncodeToString(data) + `"}`
	}
	tests := []struct {
		name    string
		payload string
		kind    error
		field   string
	}{
		{"empty", ``, envelope.ErrNotJSON, ""},
		{"not JSON", `hello world`, envelope.ErrNotJSON, ""},
		{"truncated", `{"data": {"a": 1}`, envelope.ErrNotJSON, ""},
		{"trailing garbage", `{"data": 1} x`, envelope.ErrNotJSON, ""},
		{"bad inner JSON", `{"data": {"a": tru}}`, envelope.ErrNotJSON, ""},
		{"control character", "{\"data\": \"a\x01\"}", envelope.ErrNotJSON, ""},
		{"array", `[1, 2]`, envelope.ErrNotObject, ""},
		{"string", `"x"`, envelope.ErrNotObject, ""},
		{"number", `123`, envelope.ErrNotObject, ""},
		{"no data", `{"service": {"name": "s"}, "metadata": {}}`, envelope.ErrNoData, "data"},
		{"metadata not an object", `{"metadata": [], "data": 1}`, envelope.ErrBadField, "metadata"},
		{"service not an object", `{"service": "s", "data": 1}`, envelope.ErrBadField, "service"},
		{"timestamp a string", `{"metadata": {"timestamp": "1"}, "data": 1}`, envelope.ErrBadField, "metadata.timestamp"},
		{"uuid a number", `{"metadata": {"message_uuid": 1}, "data": 1}`, envelope.ErrBadField, "metadata.message_uuid"},
		{"name an object", `{"service": {"name": {}}, "data": 1}`, envelope.ErrBadField, "service.name"},
		{"unknown encoding", `{"metadata": {"data_encoding": "base64_bz2"}, "data": "x"}`, envelope.ErrUnknownEncoding, "metadata.data_encoding"},
		{"compressed data not a string", `{"metadata": {"data_encoding": "base64_gzip_json"}, "data": {}}`, envelope.ErrBadField, "data"},
		{"bad base64", `{"metadata": {"data_encoding": "base64_gzip_json"}, "data": "eJ!!"}`, envelope.ErrBadBase64, "data"},
		{"bad zlib", compressed([]byte("not zlib at all")), envelope.ErrBadZlib, "data"},
		{"truncated zlib", compressed(zlibBytes(t, []byte(`{"a": 1}`))[:8]), envelope.ErrBadZlib, "data"},
		{"compressed non-JSON", compressed(zlibBytes(t, []byte(`{"a": `))), envelope.ErrNotJSON, "data"},
		{"decompression bomb", compressed(zlibBytes(t, make([]byte, envelope.MaxDecompressed+1))), envelope.ErrTooLarge, "data"},
		{"too large", `{"data": "` + strings.Repeat("x", envelope.MaxPayload) + `"}`, envelope.ErrTooLarge, ""},
		{"deep nesting", `{"data": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, envelope.ErrNotJSON, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			_, err := envelope.JSON(envelope.Service{}).Open(tt.payload)
			is.True(errors.Is(err, tt.kind))
			var e *envelope.Error
			is.True(errors.As(err, &e))
			is.Equal(e.Op, "open json")
			is.Equal(e.Field, tt.field)
		})
	}
}

func TestMetadataTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ts   float64
		want time.Time
	}{
		{0, time.Time{}},
		{1712345678.123456, time.Unix(1712345678, 123456000)},
		{1712345678, time.Unix(1712345678, 0)},
		{1.5, time.Unix(1, 500000000)},
		{0.0000000016, time.Unix(0, 2)},
		{-1.5, time.Unix(-1, -500000000)},
		{1e300, time.Time{}},
	}
	for _, tt := range tests {
		if got := (envelope.Metadata{Timestamp: tt.ts}).Time(); !got.Equal(tt.want) {
			t.Errorf("Time(%v) = %v, want %v", tt.ts, got, tt.want)
		}
	}
}

func TestRaw(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	for _, data := range []any{"hello", []byte("hello")} {
		p, err := envelope.Raw.Seal("t", data, nil)
		is.NoErr(err)
		is.Equal(p, "hello")
	}
	o, err := envelope.Raw.Open("räk")
	is.NoErr(err)
	is.Equal(o, envelope.Opened{Data: []byte("räk")})

	_, err = envelope.Raw.Seal("t", 5, nil)
	is.True(errors.Is(err, envelope.ErrUnsupportedValue))
	_, err = envelope.Raw.Seal("t", []byte{0xff}, nil)
	is.True(errors.Is(err, envelope.ErrUnsupportedValue))
	_, err = envelope.Raw.Seal("t", strings.Repeat("x", envelope.MaxPayload+1), nil)
	is.True(errors.Is(err, envelope.ErrTooLarge))
	_, err = envelope.Raw.Open(strings.Repeat("x", envelope.MaxPayload+1))
	is.True(errors.Is(err, envelope.ErrTooLarge))
}

func zlibBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
