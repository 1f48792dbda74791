package zoomsandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"io"
	"strings"
)

// randBytes reads n bytes from Config.Rand. If a caller-supplied reader runs
// dry, the sandbox falls back to crypto/rand rather than failing a request.
func (s *Server) randBytes(n int) []byte {
	b := make([]byte, n)
	s.randMu.Lock()
	_, err := io.ReadFull(s.rnd, b)
	if err != nil {
		s.log.Warn("Config.Rand failed; switching to crypto/rand", "error", err)
		s.rnd = rand.Reader
		_, _ = io.ReadFull(s.rnd, b)
	}
	s.randMu.Unlock()
	return b
}

// randUint64n returns a number in [0, n).
func (s *Server) randUint64n(n uint64) uint64 {
	return binary.BigEndian.Uint64(s.randBytes(8)) % n
}

// randToken returns prefix plus 32 random bytes in base64url.
func (s *Server) randToken(prefix string) string {
	return prefix + base64.RawURLEncoding.EncodeToString(s.randBytes(32))
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randString returns n characters drawn from alphabet.
func (s *Server) randString(n int, alphabet string) string {
	var sb strings.Builder
	for _, b := range s.randBytes(n) {
		sb.WriteByte(alphabet[int(b)%len(alphabet)])
	}
	return sb.String()
}

// newMeetingID returns an unused 11-digit meeting number starting with 8
// (80000000000..89999999999, above 2^32 like Zoom's). Call with s.mu held.
func (s *Server) newMeetingID() int64 {
	for {
		id := int64(80_000_000_000 + s.randUint64n(10_000_000_000))
		if _, used := s.meetings[id]; !used {
			return id
		}
	}
}

// newUUID returns a meeting-instance UUID: 16 random bytes in standard
// base64, so it may contain '/' and '+' like Zoom's.
func (s *Server) newUUID() string {
	return base64.StdEncoding.EncodeToString(s.randBytes(16))
}
