package filter

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
)

// ipRange is a {"cidr": ...} condition: the addresses from bottom to top,
// inclusive, of one family (4 or 16 bytes).
type ipRange struct {
	bottom, top []byte
}

// parseCIDR reads the operand of "cidr" with the rules and messages of
// AWS's matching engine.
//
// As there, the range starts at the address as written and ends at that
// address with all host bits set, so "10.0.0.0/24" is 10.0.0.0 to
// 10.0.0.255 and an unaligned "10.0.0.5/24" is 10.0.0.5 to 10.0.0.255; and
// the mask must leave at least one host bit (/32 and /128 are refused).
func parseCIDR(s string) (ipRange, *Error) {
	parts := strings.Split(s, "/")
	// Java's String.split, which AWS uses, drops trailing empty strings.
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) != 2 {
		return ipRange{}, policyError("Malformed CIDR, one '/' required")
	}
	bits, err := strconv.ParseInt(parts[1], 10, 32)
	if err != nil {
		return ipRange{}, policyError("Malformed CIDR, mask bits must be an integer")
	}
	if bits < 0 {
		return ipRange{}, policyError("Malformed CIDR, mask bits must not be negative")
	}
	ip, ok := parseIP(parts[0])
	if !ok {
		return ipRange{}, policyError("Nonstandard IP address: " + parts[0])
	}
	if len(ip) == 4 && bits > 31 {
		return ipRange{}, policyError("IPv4 mask bits must be < 32")
	}
	if len(ip) == 16 && bits > 127 {
		return ipRange{}, policyError("IPv6 mask bits must be < 128")
	}
	top := bytes.Clone(ip)
	for i := range top {
		hostBits := (i+1)*8 - int(bits) // host bits within byte i, when positive
		switch {
		case hostBits >= 8:
			top[i] = 0xff
		case hostBits > 0:
			top[i] |= byte(1)<<hostBits - 1
		}
	}
	return ipRange{bottom: ip, top: top}, nil
}

// parseIP reads an IPv4 or IPv6 address literal as 4 or 16 bytes; an
// IPv4-mapped IPv6 address reads as IPv4, and zones are not addresses.
func parseIP(s string) ([]byte, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return nil, false
	}
	return a.Unmap().AsSlice(), true
}

// contains reports whether s is an address literal inside the range.
func (r ipRange) contains(s string) bool {
	ip, ok := parseIP(s)
	if !ok || len(ip) != len(r.bottom) {
		return false
	}
	return bytes.Compare(ip, r.bottom) >= 0 && bytes.Compare(ip, r.top) <= 0
}
