package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvKey is the environment variable that holds the base64 encryption key.
// When set (non-empty) it takes precedence over the key file.
const EnvKey = "NODEPLUG_ENCRYPTION_KEY"

// KeyFileName is the name of the key file inside the data directory.
const KeyFileName = "encryption.key"

// generateHint tells the user how to make a valid key.
const generateHint = "generate one with: head -c 32 /dev/urandom | base64"

// KeySource says where [LoadKey] found the key. Exactly one of EnvVar and
// Path is set. It holds no secret.
type KeySource struct {
	// EnvVar is the environment variable the key came from (EnvKey), if any.
	EnvVar string
	// Path is the key file the key came from, if any.
	Path string
	// Created is true when this call generated the key file.
	Created bool
}

// String describes the source for messages, e.g.
// "environment variable NODEPLUG_ENCRYPTION_KEY" or "key file /d/encryption.key".
func (s KeySource) String() string {
	switch {
	case s.EnvVar != "":
		return "environment variable " + s.EnvVar
	case s.Path != "" && s.Created:
		return "key file " + s.Path + " (newly created)"
	case s.Path != "":
		return "key file " + s.Path
	default:
		return "no key source"
	}
}

// LoadKey returns the cipher for the host's encryption key and where it came
// from. getenv looks up environment variables (os.Getenv when nil).
//
// If NODEPLUG_ENCRYPTION_KEY is set it must be the standard or raw-URL base64
// encoding of 32 bytes. Otherwise the key is read from
// <dataDir>/encryption.key, which must not be accessible by group or others.
// When that file does not exist, dataDir is created (0700) and a new random key
// is written to the file (0600) atomically: concurrent first starts agree on one
// key.
func LoadKey(dataDir string, getenv func(string) string) (*Cipher, KeySource, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := strings.TrimSpace(getenv(EnvKey)); v != "" {
		key, err := decodeKey(v)
		if err != nil {
			return nil, KeySource{}, fmt.Errorf("secrets: environment variable %s: %w", EnvKey, err)
		}
		c, err := NewCipher(key)
		clear(key)
		if err != nil {
			return nil, KeySource{}, err
		}
		return c, KeySource{EnvVar: EnvKey}, nil
	}
	if dataDir == "" {
		return nil, KeySource{}, fmt.Errorf("secrets: no data directory given and %s is not set", EnvKey)
	}
	path := filepath.Join(dataDir, KeyFileName)
	key, created, err := loadOrCreateKeyFile(dataDir, path)
	if err != nil {
		return nil, KeySource{}, err
	}
	c, err := NewCipher(key)
	clear(key)
	if err != nil {
		return nil, KeySource{}, err
	}
	return c, KeySource{Path: path, Created: created}, nil
}

// decodeKey decodes a base64 key (standard, raw standard, URL or raw URL) and
// checks its length. Errors never include the value.
func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding, base64.RawStdEncoding, base64.URLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			clear(key)
			return nil, fmt.Errorf("the key decodes to %d bytes, want %d (base64 of 32 random bytes; %s)", len(key), KeySize, generateHint)
		}
		return key, nil
	}
	return nil, fmt.Errorf("the key is not valid base64 (want base64 of 32 random bytes; %s)", generateHint)
}

// loadOrCreateKeyFile reads the key file, creating it first if absent.
func loadOrCreateKeyFile(dir, path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("secrets: create data directory %s: %w", dir, err)
	}
	created, err = createKeyFile(dir, path)
	if err != nil {
		return nil, false, err
	}
	key, err = readKeyFile(path)
	if err != nil {
		return nil, false, err
	}
	return key, created, nil
}

// readKeyFile reads and checks an existing key file. A missing file yields an
// error matching fs.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("secrets: open key file %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secrets: stat key file %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("secrets: key file %s is not a regular file; remove it or point the data directory elsewhere", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secrets: key file %s is accessible by group or others (mode %04o); restrict it with: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	buf, err := io.ReadAll(io.LimitReader(f, 4096))
	defer clear(buf)
	if err != nil {
		return nil, fmt.Errorf("secrets: read key file %s: %w", path, err)
	}
	key, err := decodeKey(string(bytes.TrimSpace(buf)))
	if err != nil {
		return nil, fmt.Errorf("secrets: key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new random key to path unless a file is already
// there. It writes a temporary file (O_EXCL, 0600), syncs it and hard-links it
// into place; link never replaces an existing file, so when two processes race
// exactly one key wins and both then read it. created reports whether this
// call's key won.
func createKeyFile(dir, path string) (created bool, err error) {
	key, err := GenerateKey()
	if err != nil {
		return false, err
	}
	data := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	clear(key)
	defer clear(data)

	tmp, err := os.CreateTemp(dir, ".encryption.key.tmp-*") // O_EXCL, mode 0600
	if err != nil {
		return false, fmt.Errorf("secrets: create temporary key file in %s: %w", dir, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return false, fmt.Errorf("secrets: chmod temporary key file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, fmt.Errorf("secrets: write temporary key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("secrets: sync temporary key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("secrets: close temporary key file: %w", err)
	}

	switch err := os.Link(tmpName, path); {
	case err == nil:
		syncDir(dir)
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil // another process won; use its key
	default:
		// Hard links unsupported (some file systems): fall back to an
		// exclusive create of the final name.
		return createKeyFileExcl(dir, path, data)
	}
}

// createKeyFileExcl writes data to path with O_CREATE|O_EXCL.
func createKeyFileExcl(dir, path string, data []byte) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("secrets: create key file %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return false, fmt.Errorf("secrets: write key file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return false, fmt.Errorf("secrets: sync key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("secrets: close key file %s: %w", path, err)
	}
	syncDir(dir)
	return true, nil
}

// syncDir makes a new directory entry durable; failures are ignored because
// not every platform supports syncing a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
