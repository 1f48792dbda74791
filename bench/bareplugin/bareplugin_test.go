package bareplugin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary be the bare plugin: go-plugin hands the
// child the magic cookie in its (otherwise empty) environment.
func TestMain(m *testing.M) {
	if h := Handshake(); os.Getenv(h.MagicCookieKey) == h.MagicCookieValue {
		Serve(os.Stderr)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRunOnce(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		path    string
		wantErr string
	}{
		"launch, ping, kill": {path: os.Args[0]},
		"missing plugin":     {path: filepath.Join(t.TempDir(), "no-such-plugin"), wantErr: "starting bare plugin"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := RunOnce(context.Background(), tc.path, nil)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("RunOnce: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("RunOnce error = %v; want one containing %q", err, tc.wantErr)
			}
		})
	}
}
