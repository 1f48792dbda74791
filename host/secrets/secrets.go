// Package secrets encrypts data at rest for the nodeplug host.
//
// A [Cipher] seals small values (credential properties, OAuth2 tokens) with
// AES-256-GCM. [LoadKey] finds the 256-bit key: the NODEPLUG_ENCRYPTION_KEY
// environment variable when it is set, else the key file
// <data dir>/encryption.key, which is generated on first use.
//
// Sealed format: one version byte (currently 1), a random 12-byte nonce, then
// the GCM ciphertext and tag. The version byte and the caller's additional
// data are both authenticated.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// KeySize is the length in bytes of an encryption key (AES-256).
const KeySize = 32

const (
	version1  byte = 1
	nonceSize      = 12
	tagSize        = 16
	// overhead is the number of bytes Seal adds to a plaintext.
	overhead = 1 + nonceSize + tagSize
)

// fingerprintLabel is the HMAC message whose MAC identifies a key.
const fingerprintLabel = "nodeplug key check"

// ErrDecrypt is returned by [Cipher.Open] when sealed data cannot be opened:
// it was sealed with another key or other additional data, or was altered.
var ErrDecrypt = errors.New("secrets: cannot decrypt: the data was sealed with a different key or additional data, or it was altered")

// ErrMalformed is returned by [Cipher.Open] when the input is not sealed data
// of a known version at all (too short or an unknown version byte).
var ErrMalformed = errors.New("secrets: malformed sealed data: too short or unknown format version")

// Cipher seals and opens data with one AES-256-GCM key. It is safe for
// concurrent use. It never prints its key: every fmt verb, slog and
// encoding/json show only the key fingerprint.
type Cipher struct {
	aead        cipher.AEAD
	fingerprint string
}

// NewCipher returns a Cipher for a 32-byte key. The key slice is not retained.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: encryption key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: create AES cipher: %w", err)
	}
	aead, err := cipher.NewGCMWithNonceSize(block, nonceSize)
	if err != nil {
		return nil, fmt.Errorf("secrets: create GCM: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(fingerprintLabel))
	return &Cipher{aead: aead, fingerprint: hex.EncodeToString(mac.Sum(nil)[:8])}, nil
}

// GenerateKey returns a new random 32-byte key.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return nil, fmt.Errorf("secrets: generate key: %w", err)
	}
	return key, nil
}

// Fingerprint returns a non-secret identifier of the key (16 hex characters:
// the first 8 bytes of HMAC-SHA256(key, "nodeplug key check")). Two ciphers
// have the same fingerprint exactly when they use the same key.
func (c *Cipher) Fingerprint() string { return c.fingerprint }

// Seal encrypts and authenticates plaintext and authenticates additionalData
// (which is not stored; Open needs the same value). The result is
// version byte || nonce || ciphertext+tag.
func (c *Cipher) Seal(plaintext, additionalData []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, overhead+len(plaintext))
	out[0] = version1
	if _, err := io.ReadFull(rand.Reader, out[1:1+nonceSize]); err != nil {
		return nil, fmt.Errorf("secrets: generate nonce: %w", err)
	}
	nonce := out[1 : 1+nonceSize]
	return c.aead.Seal(out, nonce, plaintext, aad(out[0], additionalData)), nil
}

// Open authenticates and decrypts data produced by Seal with the same key
// and additionalData. It returns [ErrMalformed] for input that is not sealed
// data and [ErrDecrypt] for a wrong key, wrong additional data or tampering.
func (c *Cipher) Open(sealed, additionalData []byte) ([]byte, error) {
	if len(sealed) < overhead {
		return nil, ErrMalformed
	}
	if sealed[0] != version1 {
		return nil, ErrMalformed
	}
	nonce := sealed[1 : 1+nonceSize]
	pt, err := c.aead.Open(nil, nonce, sealed[1+nonceSize:], aad(sealed[0], additionalData))
	if err != nil {
		return nil, ErrDecrypt
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

// aad binds the format version to the caller's additional data.
func aad(version byte, additionalData []byte) []byte {
	b := make([]byte, 0, 1+len(additionalData))
	b = append(b, version)
	return append(b, additionalData...)
}

// String describes the cipher by its fingerprint; the key is never shown.
func (c Cipher) String() string { return "secrets.Cipher(key " + c.fingerprint + ")" }

// GoString is like String, for %#v.
func (c Cipher) GoString() string { return c.String() }

// Format prints String for every verb, so no verb can reach the key.
func (c Cipher) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// LogValue shows only the fingerprint in structured logs.
func (c Cipher) LogValue() slog.Value {
	return slog.GroupValue(slog.String("fingerprint", c.fingerprint))
}

// MarshalJSON encodes only the fingerprint.
func (c Cipher) MarshalJSON() ([]byte, error) {
	return []byte(`{"fingerprint":"` + c.fingerprint + `"}`), nil
}
