package emulator

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"
)

// msgID is a message id: a random (version 4) UUID, stored as 16 bytes.
type msgID [16]byte

func newMsgID() msgID {
	var id msgID
	binary.LittleEndian.PutUint64(id[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(id[8:], rand.Uint64())
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id
}

// String formats the id in the canonical 8-4-4-4-12 UUID form.
func (id msgID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:], id[10:])
	return string(b[:])
}

// Message states.
const (
	stateReady    uint8 = iota // visible, waiting to be received
	stateDelayed               // sent with a delay that has not passed yet
	stateInflight              // received, invisible until visibleAt
	stateDeleted               // deleted, purged, expired or moved away
)

// message is one queued SQS message. It is kept small: a million queued
// 200-byte messages must fit in well under a GiB, so there are no maps,
// timers or per-message goroutines, and rarely used fields live in ext.
type message struct {
	id        msgID
	md5Body   [16]byte
	body      string
	attrs     []msgAttr // sorted by name; nil when the message has none
	ext       *msgExt   // nil for most standard-queue messages
	sent      int64     // unix nanoseconds
	firstRecv int64     // unix nanoseconds of the first receive, 0 before
	recvAt    int64     // unix nanoseconds of the latest receive
	visibleAt int64     // unix nanoseconds at which a delayed or in-flight message becomes visible
	receipt   uint32    // nonce of the latest receive, part of its receipt handle
	recvCount int32
	heapIdx   int32
	state     uint8
}

// msgExt holds the fields only FIFO, traced or dead-lettered messages have.
type msgExt struct {
	group     string
	dedupID   string
	seq       uint64
	trace     string // AWSTraceHeader system attribute
	dlqSource string // ARN of the queue a dead-lettered message came from
}

func (m *message) group() string {
	if m.ext == nil {
		return ""
	}
	return m.ext.group
}

// msgAttr is one message attribute. Binary values are kept as raw bytes.
type msgAttr struct {
	name     string
	dataType string
	str      string
	bin      []byte
}

func (a msgAttr) isBinary() bool { return strings.HasPrefix(a.dataType, "Binary") }

// size is what the attribute counts towards the message size limit: name,
// data type and value (AWS documents all three as counted).
func (a msgAttr) size() int { return len(a.name) + len(a.dataType) + len(a.str) + len(a.bin) }

func attrsSize(attrs []msgAttr) int {
	n := 0
	for _, a := range attrs {
		n += a.size()
	}
	return n
}

func sortAttrs(attrs []msgAttr) {
	slices.SortFunc(attrs, func(a, b msgAttr) int { return strings.Compare(a.name, b.name) })
}

// md5OfAttributes computes MD5OfMessageAttributes as AWS documents it: for
// each attribute in name order, the length-prefixed (4-byte big-endian)
// name, data type, a transport byte (1 string, 2 binary) and the
// length-prefixed value. attrs must be sorted by name.
func md5OfAttributes(attrs []msgAttr) string {
	if len(attrs) == 0 {
		return ""
	}
	h := md5.New()
	var l [4]byte
	put := func(s []byte) {
		binary.BigEndian.PutUint32(l[:], uint32(len(s)))
		h.Write(l[:])
		h.Write(s)
	}
	for _, a := range attrs {
		put([]byte(a.name))
		put([]byte(a.dataType))
		if a.isBinary() {
			h.Write([]byte{2})
			put(a.bin)
		} else {
			h.Write([]byte{1})
			put([]byte(a.str))
		}
	}
	var sum [16]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// validBody reports whether s holds only the characters SQS accepts:
// #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
func validBody(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return true
}
