package envelope

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// JSONProtocolVersion is the protocol_version of envelopes sealed by JSONBase.
const JSONProtocolVersion = "tomodachi-json-base--1.0.0"

// The data encodings of the JSON base.
const (
	encodingRaw        = "raw"
	encodingBase64Zlib = "base64_gzip_json" // zlib, despite the name
)

// JSONBase is tomodachi's JSON envelope, tomodachi-json-base--1.0.0:
//
//	{"service": {"name": ..., "uuid": ...},
//	 "metadata": {"message_uuid": "<service uuid>.<uuid4>",
//	              "protocol_version": "tomodachi-json-base--1.0.0",
//	              "compatible_protocol_versions": ["json_base-wip"],
//	              "timestamp": 1712345678.123456, "topic": ..., "data_encoding": "raw"},
//	 "data": ...}
//
// Seal writes exactly the bytes tomodachi's JsonBase writes for the same
// inputs: data is marshalled with encoding/json and then written the way
// Python's json.dumps writes it (", " and ": " separators, non-ASCII
// escaped as \uXXXX, floats as Python's repr; keys keep the order
// encoding/json gives them: struct field order, sorted map keys). A
// json.RawMessage is taken as it is (it must be valid JSON) and reformatted
// the same way. Note that encoding/json writes integral float64 values as
// integers ("5", where Python writes "5.0"). When the serialised data is
// 60,000 characters or more it is zlib-compressed, base64-encoded and sent
// with data_encoding "base64_gzip_json", as tomodachi does.
//
// Open accepts tomodachi's envelopes in both encodings and, leniently, any
// JSON object with a "data" member (service and metadata may be missing,
// a missing data_encoding means "raw"). Opened.Data is the JSON text of
// data. Unlike tomodachi, which hands the handler null data for an unknown
// data_encoding, Open fails with ErrUnknownEncoding: such a message cannot
// be processed and should not look as if it could. Open scans the payload
// once and does not build a map of it.
//
// The zero JSONBase is usable; its fields are read-only once in use, and a
// JSONBase is safe for concurrent use.
type JSONBase struct {
	// Service names the sender. An empty UUID makes message uuids a bare uuid4.
	Service Service
	// NewUUID returns the uuid4 that follows "<service uuid>." in message
	// uuids; nil means a fresh random uuid. Tests set it to fix the output.
	NewUUID func() string
	// Now returns the time written as the timestamp; nil means time.Now.
	Now func() time.Time
}

// JSON returns the JSON base envelope for svc. As in tomodachi, an empty
// service name becomes "service" and an empty uuid a random one (tomodachi
// draws a fresh one per process start unless the service sets it; set it so
// message uuids say which service sent them).
func JSON(svc Service) *JSONBase {
	return &JSONBase{Service: defaultService(svc)}
}

func defaultService(svc Service) Service {
	if svc.Name == "" {
		svc.Name = "service"
	}
	if svc.UUID == "" {
		svc.UUID = uuid.NewString()
	}
	return svc
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// Seal returns the envelope for data published to topic; attrs are not used.
func (e *JSONBase) Seal(topic string, data any, _ map[string]any) (string, error) {
	const op = "seal json"
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 {
			bufPool.Put(bp)
		}
	}()
	js, err := marshalPy((*bp)[:0], data)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return "", newError(op, "data", ErrNotJSON, err)
		}
		return "", newError(op, "data", ErrUnsupportedValue, err)
	}
	*bp = js
	encoding := encodingRaw
	var compressed []byte
	if len(js) >= compressThreshold {
		encoding = encodingBase64Zlib
		if compressed, err = deflate(js); err != nil {
			return "", newError(op, "data", ErrUnsupportedValue, err)
		}
	}

	var b strings.Builder
	size := 320 + len(e.Service.Name) + 2*len(e.Service.UUID) + len(topic) + len(js)
	if compressed != nil {
		size = 320 + len(e.Service.Name) + 2*len(e.Service.UUID) + len(topic) + base64.StdEncoding.EncodedLen(len(compressed))
	}
	b.Grow(size)
	var tmp [64]byte
	b.WriteString(`{"service": {"name": `)
	b.Write(appendPyString(tmp[:0], e.Service.Name))
	b.WriteString(`, "uuid": `)
	b.Write(appendPyString(tmp[:0], e.Service.UUID))
	b.WriteString(`}, "metadata": {"message_uuid": "`)
	if e.Service.UUID != "" {
		q := appendPyString(tmp[:0], e.Service.UUID)
		b.Write(q[1 : len(q)-1])
		b.WriteByte('.')
	}
	if err := e.writeUUID4(&b); err != nil {
		return "", newError(op, "metadata.message_uuid", ErrUnsupportedValue, err)
	}
	b.WriteString(`", "protocol_version": "` + JSONProtocolVersion + `", "compatible_protocol_versions": ["json_base-wip"], "timestamp": `)
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	b.Write(appendPyFloat(tmp[:0], pyTimestamp(now())))
	b.WriteString(`, "topic": `)
	b.Write(appendPyString(tmp[:0], topic))
	b.WriteString(`, "data_encoding": "`)
	b.WriteString(encoding)
	b.WriteString(`"}, "data": `)
	if compressed != nil {
		b.WriteByte('"')
		enc := base64.NewEncoder(base64.StdEncoding, &b)
		enc.Write(compressed)
		enc.Close()
		b.WriteByte('"')
	} else {
		b.Write(js)
	}
	b.WriteByte('}')
	if b.Len() > MaxPayload {
		return "", newError(op, "", ErrTooLarge, fmt.Errorf("envelope is %d bytes, limit %d", b.Len(), MaxPayload))
	}
	return b.String(), nil
}

// writeUUID4 writes the message uuid's uuid4 part, escaped if need be.
func (e *JSONBase) writeUUID4(b *strings.Builder) error {
	if e.NewUUID != nil {
		s := appendPyString(nil, e.NewUUID())
		b.Write(s[1 : len(s)-1])
		return nil
	}
	u, err := uuid.NewRandom()
	if err != nil {
		return err
	}
	var buf [36]byte
	encodeUUID(buf[:], u)
	b.Write(buf[:])
	return nil
}

// newRandomUUID returns a fresh random (version 4) uuid.
func newRandomUUID() (string, error) {
	u, err := uuid.NewRandom()
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// encodeUUID writes u in its canonical 36-character form, without allocating.
func encodeUUID(dst []byte, u uuid.UUID) {
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
}

// Open returns the data and metadata of a JSON base envelope.
func (e *JSONBase) Open(payload string) (Opened, error) {
	return openJSON(payload)
}

func openJSON(payload string) (Opened, error) {
	const op = "open json"
	if len(payload) > MaxPayload {
		return Opened{}, newError(op, "", ErrTooLarge, fmt.Errorf("payload is %d bytes, limit %d", len(payload), MaxPayload))
	}
	sc := scanner{s: payload}
	if sc.peek() != '{' {
		return Opened{}, notObject(op, "", &sc)
	}
	var (
		meta     Metadata
		data     string
		haveData bool
	)
	err := sc.object(0, func(key string) error {
		var err error
		switch key {
		case "service":
			err = sc.service(&meta)
		case "metadata":
			err = sc.metadata(&meta)
		case "data":
			data, err = sc.value(1)
			haveData = true
		default:
			_, err = sc.value(1)
		}
		return err
	})
	if err == nil {
		err = sc.end()
	}
	if err != nil {
		return Opened{}, fieldOrSyntax(op, err)
	}
	if !haveData {
		return Opened{}, newError(op, "data", ErrNoData, nil)
	}
	var out []byte
	switch meta.DataEncoding {
	case "", encodingRaw:
		out = []byte(data)
	case encodingBase64Zlib:
		if data == "" || data[0] != '"' {
			return Opened{}, newError(op, "data", ErrBadField, errors.New("compressed data must be a string"))
		}
		dec, err := base64.StdEncoding.DecodeString(unescape(data[1 : len(data)-1]))
		if err != nil {
			return Opened{}, newError(op, "data", ErrBadBase64, err)
		}
		if out, err = inflate(dec); err != nil {
			return Opened{}, withOp(err, op)
		}
		if !json.Valid(out) {
			return Opened{}, newError(op, "data", ErrNotJSON, errors.New("decompressed data is not JSON"))
		}
	default:
		return Opened{}, newError(op, "metadata.data_encoding", ErrUnknownEncoding, fmt.Errorf("%q", meta.DataEncoding))
	}
	return Opened{Data: out, Meta: meta}, nil
}

func (sc *scanner) service(m *Metadata) error {
	switch sc.peek() {
	case 'n':
		return sc.literal("null")
	case '{':
	default:
		if _, err := sc.value(1); err != nil {
			return err
		}
		return newError("", "service", ErrBadField, errors.New("want an object"))
	}
	return sc.object(1, func(key string) error {
		var err error
		switch key {
		case "name":
			m.ServiceName, err = sc.stringOrNull("service.name")
		case "uuid":
			m.ServiceUUID, err = sc.stringOrNull("service.uuid")
		default:
			_, err = sc.value(2)
		}
		return err
	})
}

func (sc *scanner) metadata(m *Metadata) error {
	switch sc.peek() {
	case 'n':
		return sc.literal("null")
	case '{':
	default:
		if _, err := sc.value(1); err != nil {
			return err
		}
		return newError("", "metadata", ErrBadField, errors.New("want an object"))
	}
	return sc.object(1, func(key string) error {
		var err error
		switch key {
		case "message_uuid":
			m.MessageUUID, err = sc.stringOrNull("metadata.message_uuid")
		case "protocol_version":
			m.ProtocolVersion, err = sc.stringOrNull("metadata.protocol_version")
		case "topic":
			m.Topic, err = sc.stringOrNull("metadata.topic")
		case "data_encoding":
			m.DataEncoding, err = sc.stringOrNull("metadata.data_encoding")
		case "timestamp":
			switch c := sc.peek(); {
			case c == 'n':
				m.Timestamp = 0
				err = sc.literal("null")
			case c == '-' || ('0' <= c && c <= '9'):
				var tok string
				if tok, err = sc.number(); err == nil {
					m.Timestamp, _ = strconv.ParseFloat(tok, 64) // ±Inf on overflow, as Python
				}
			default:
				if _, err = sc.value(2); err == nil {
					err = newError("", "metadata.timestamp", ErrBadField, errors.New("want a number"))
				}
			}
		default:
			_, err = sc.value(2)
		}
		return err
	})
}

// deflate compresses b with zlib at the default level, as Python's
// zlib.compress does.
func deflate(b []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(b) / 4)
	w := zlib.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// inflate decompresses a zlib stream of at most MaxDecompressed bytes.
func inflate(b []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, newError("", "data", ErrBadZlib, err)
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, MaxDecompressed+1))
	if err != nil {
		return nil, newError("", "data", ErrBadZlib, err)
	}
	if len(out) > MaxDecompressed {
		return nil, newError("", "data", ErrTooLarge, fmt.Errorf("decompressed data over %d bytes", MaxDecompressed))
	}
	return out, nil
}
