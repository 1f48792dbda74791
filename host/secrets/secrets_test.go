package secrets

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustKey(t testing.TB) []byte {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCipher(t testing.TB, key []byte) *Cipher {
	t.Helper()
	c, err := NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	c := mustCipher(t, mustKey(t))
	tests := map[string]struct {
		plaintext, aad []byte
	}{
		"empty plaintext":  {plaintext: []byte{}, aad: []byte("cred/data")},
		"nil aad":          {plaintext: []byte("hello"), aad: nil},
		"json":             {plaintext: []byte(`{"clientSecret":"s3cr3t"}`), aad: []byte("abc\x00data")},
		"binary and large": {plaintext: bytes.Repeat([]byte{0, 1, 2, 255}, 4096), aad: []byte{0}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sealed, err := c.Seal(tc.plaintext, tc.aad)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(sealed), len(tc.plaintext)+overhead; got != want {
				t.Errorf("sealed length = %d, want %d", got, want)
			}
			if sealed[0] != version1 {
				t.Errorf("version byte = %d, want %d", sealed[0], version1)
			}
			if len(tc.plaintext) >= 4 && bytes.Contains(sealed, tc.plaintext) {
				t.Error("sealed data contains the plaintext")
			}
			got, err := c.Open(sealed, tc.aad)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.plaintext, got); diff != "" {
				t.Errorf("Open mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	t.Parallel()
	c := mustCipher(t, mustKey(t))
	a, err := c.Seal([]byte("same"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Seal([]byte("same"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a[1:1+nonceSize], b[1:1+nonceSize]) {
		t.Error("two seals used the same nonce")
	}
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are identical")
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	c := mustCipher(t, key)
	other := mustCipher(t, mustKey(t))
	aad := []byte("id1\x00token")
	sealed, err := c.Seal([]byte("refresh-token-value"), aad)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := map[string]struct {
		cipher *Cipher
		sealed []byte
		aad    []byte
		want   error
	}{
		"wrong key":            {cipher: other, sealed: sealed, aad: aad, want: ErrDecrypt},
		"aad mismatch":         {cipher: c, sealed: sealed, aad: []byte("id2\x00token"), want: ErrDecrypt},
		"aad missing":          {cipher: c, sealed: sealed, aad: nil, want: ErrDecrypt},
		"tampered nonce":       {cipher: c, sealed: flip(1), aad: aad, want: ErrDecrypt},
		"tampered ciphertext":  {cipher: c, sealed: flip(1 + nonceSize), aad: aad, want: ErrDecrypt},
		"tampered tag":         {cipher: c, sealed: flip(len(sealed) - 1), aad: aad, want: ErrDecrypt},
		"unknown version":      {cipher: c, sealed: append([]byte{2}, sealed[1:]...), aad: aad, want: ErrMalformed},
		"truncated":            {cipher: c, sealed: sealed[:overhead-1], aad: aad, want: ErrMalformed},
		"empty":                {cipher: c, sealed: nil, aad: aad, want: ErrMalformed},
		"tag stripped to body": {cipher: c, sealed: sealed[:len(sealed)-tagSize], aad: aad, want: ErrDecrypt},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.cipher.Open(tc.sealed, tc.aad)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open error = %v, want %v", err, tc.want)
			}
			if got != nil {
				t.Errorf("Open returned %q with an error", got)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("nodeplug key check"))
	want := hex.EncodeToString(mac.Sum(nil)[:8])

	c1 := mustCipher(t, key)
	c2 := mustCipher(t, bytes.Clone(key))
	c3 := mustCipher(t, mustKey(t))
	if got := c1.Fingerprint(); got != want {
		t.Errorf("Fingerprint = %q, want %q", got, want)
	}
	if c1.Fingerprint() != c2.Fingerprint() {
		t.Error("same key gave different fingerprints")
	}
	if c1.Fingerprint() == c3.Fingerprint() {
		t.Error("different keys gave the same fingerprint")
	}
}

func TestNewCipherKeyLength(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewCipher(make([]byte, n)); err == nil {
			t.Errorf("NewCipher(%d bytes) succeeded, want error", n)
		}
	}
}

func TestCipherNeverPrintsKey(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	c := mustCipher(t, key)
	forbidden := []string{
		hex.EncodeToString(key),
		base64.StdEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
		string(key),
		fmt.Sprint(key),
		fmt.Sprintf("%d", key),
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "cipher", c)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{"slog": logBuf.String(), "json": string(js)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%X", "%q"} {
		outputs[verb] = fmt.Sprintf(verb, c)
		outputs[verb+" (value)"] = fmt.Sprintf(verb, *c)
	}
	for name, out := range outputs {
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Errorf("%s output contains the key: %q", name, out)
			}
		}
	}
	if !strings.Contains(outputs["%v"], c.Fingerprint()) {
		t.Errorf("%%v = %q, want it to show the fingerprint", outputs["%v"])
	}
}

func TestLoadKeyEnv(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	want := mustCipher(t, key).Fingerprint()
	tests := map[string]struct {
		value   string
		wantErr string // substring; empty = success
	}{
		"std base64":           {value: base64.StdEncoding.EncodeToString(key)},
		"raw url base64":       {value: base64.RawURLEncoding.EncodeToString(key)},
		"surrounding space":    {value: "  " + base64.StdEncoding.EncodeToString(key) + "\n"},
		"too short":            {value: base64.StdEncoding.EncodeToString(key[:16]), wantErr: "decodes to 16 bytes, want 32"},
		"too long":             {value: base64.StdEncoding.EncodeToString(append(bytes.Clone(key), 1)), wantErr: "decodes to 33 bytes, want 32"},
		"not base64":           {value: "this is not base64 at all!", wantErr: "not valid base64"},
		"hex is not accepted ": {value: "zz" + hex.EncodeToString(key)[2:], wantErr: "NODEPLUG_ENCRYPTION_KEY"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "data")
			getenv := func(k string) string {
				if k == EnvKey {
					return tc.value
				}
				return ""
			}
			c, src, err := LoadKey(dir, getenv)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("LoadKey succeeded, want error containing %q", tc.wantErr)
				}
				msg := err.Error()
				for _, sub := range []string{tc.wantErr, EnvKey} {
					if !strings.Contains(msg, sub) {
						t.Errorf("error %q does not contain %q", msg, sub)
					}
				}
				if v := strings.TrimSpace(tc.value); strings.Contains(msg, v) {
					t.Errorf("error %q contains the variable's value", msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(KeySource{EnvVar: EnvKey}, src); diff != "" {
				t.Errorf("KeySource mismatch (-want +got):\n%s", diff)
			}
			if c.Fingerprint() != want {
				t.Errorf("fingerprint = %s, want %s", c.Fingerprint(), want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("data dir was created although the key came from the environment (stat err %v)", err)
			}
		})
	}
}

func TestLoadKeyEnvTakesPrecedenceOverFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fileCipher, _, err := LoadKey(dir, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	envKey := mustKey(t)
	c, src, err := LoadKey(dir, func(k string) string {
		if k == EnvKey {
			return base64.StdEncoding.EncodeToString(envKey)
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if src.EnvVar != EnvKey || src.Path != "" {
		t.Errorf("source = %+v, want the environment", src)
	}
	if c.Fingerprint() != mustCipher(t, envKey).Fingerprint() {
		t.Error("cipher does not use the environment key")
	}
	if c.Fingerprint() == fileCipher.Fingerprint() {
		t.Error("cipher uses the key file although the environment variable is set")
	}
}

func TestLoadKeyFileCreatedAndReused(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, KeyFileName)

	c1, src1, err := LoadKey(dir, nil0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(KeySource{Path: path, Created: true}, src1); diff != "" {
		t.Errorf("first KeySource mismatch (-want +got):\n%s", diff)
	}
	if runtime.GOOS != "windows" {
		assertPerm(t, path, 0o600)
		assertPerm(t, dir, 0o700)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != KeySize {
		t.Fatalf("key file is not base64 of %d bytes (len %d, err %v)", KeySize, len(key), err)
	}
	if got, want := c1.Fingerprint(), mustCipher(t, key).Fingerprint(); got != want {
		t.Errorf("cipher fingerprint %s does not match the key file's %s", got, want)
	}

	c2, src2, err := LoadKey(dir, nil0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(KeySource{Path: path}, src2); diff != "" {
		t.Errorf("second KeySource mismatch (-want +got):\n%s", diff)
	}
	if c1.Fingerprint() != c2.Fingerprint() {
		t.Error("second LoadKey returned a different key")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the key file (temporary files left behind?)", len(entries))
	}
}

// nil0 is a getenv that finds nothing.
func nil0(string) string { return "" }

func assertPerm(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s mode = %04o, want %04o", path, got, want)
	}
}

func TestLoadKeyFileRefusesLoosePermissions(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not enforced on Windows")
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if _, _, err := LoadKey(dir, nil0); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, KeyFileName)
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadKey(dir, nil0)
			if err == nil {
				t.Fatal("LoadKey accepted a key file readable by others")
			}
			if want := "chmod 600 " + path; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not tell the user to run %q", err, want)
			}
		})
	}
}

func TestLoadKeyFileInvalidContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFileName)
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(make([]byte, 10))), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := LoadKey(dir, nil0)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "want 32") {
		t.Errorf("LoadKey error = %v, want one naming %s and the expected length", err, path)
	}
}

func TestLoadKeyConcurrentCreation(t *testing.T) {
	t.Parallel()
	const rounds = 25
	for i := range rounds {
		dir := filepath.Join(t.TempDir(), fmt.Sprint(i))
		start := make(chan struct{})
		var wg sync.WaitGroup
		type result struct {
			fp      string
			created bool
			err     error
		}
		results := make([]result, 2)
		for g := range results {
			wg.Go(func() {
				<-start
				c, src, err := LoadKey(dir, nil0)
				if err != nil {
					results[g] = result{err: err}
					return
				}
				results[g] = result{fp: c.Fingerprint(), created: src.Created}
			})
		}
		close(start)
		wg.Wait()
		for _, r := range results {
			if r.err != nil {
				t.Fatalf("round %d: LoadKey: %v", i, r.err)
			}
		}
		if results[0].fp != results[1].fp {
			t.Fatalf("round %d: concurrent LoadKey calls got different keys", i)
		}
		if n := btoi(results[0].created) + btoi(results[1].created); n != 1 {
			t.Fatalf("round %d: %d callers report creating the key file, want exactly 1", i, n)
		}
		final, _, err := LoadKey(dir, nil0)
		if err != nil {
			t.Fatal(err)
		}
		if final.Fingerprint() != results[0].fp {
			t.Fatalf("round %d: key file holds a different key than the racers used", i)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestKeySourceString(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  KeySource
		want string
	}{
		"env":     {src: KeySource{EnvVar: EnvKey}, want: "environment variable NODEPLUG_ENCRYPTION_KEY"},
		"file":    {src: KeySource{Path: "/d/encryption.key"}, want: "key file /d/encryption.key"},
		"created": {src: KeySource{Path: "/d/encryption.key", Created: true}, want: "key file /d/encryption.key (newly created)"},
	}
	for name, tc := range tests {
		if got := tc.src.String(); got != tc.want {
			t.Errorf("%s: String() = %q, want %q", name, got, tc.want)
		}
	}
}

func FuzzOpen(f *testing.F) {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(i)
	}
	c := mustCipher(f, key)
	valid, err := c.Seal([]byte("seed plaintext"), []byte("aad"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid, []byte("aad"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte("x"))
	f.Add(bytes.Repeat([]byte{1}, overhead), []byte(nil))
	f.Add(append([]byte{2}, valid[1:]...), []byte("aad"))
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		pt, err := c.Open(sealed, aad)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error type: %v", err)
			}
			if pt != nil {
				t.Fatal("plaintext returned with an error")
			}
			return
		}
		// Only genuine seals open; re-sealing what opened must round-trip.
		again, err := c.Seal(pt, aad)
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.Open(again, aad)
		if err != nil || !bytes.Equal(back, pt) {
			t.Fatalf("re-seal round trip failed: %v", err)
		}
	})
}
