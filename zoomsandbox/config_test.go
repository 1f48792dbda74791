package zoomsandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	userApp := zoomsandbox.App{Name: "a", ClientID: "id", ClientSecret: "s", RedirectURIs: []string{"http://127.0.0.1/cb"}}
	tests := map[string]zoomsandbox.Config{
		"relative base URL":     {BaseURL: "127.0.0.1:9901"},
		"ftp base URL":          {BaseURL: "ftp://127.0.0.1"},
		"duplicate client IDs":  {Apps: []zoomsandbox.App{userApp, userApp}},
		"no secret":             {Apps: []zoomsandbox.App{{ClientID: "id", RedirectURIs: []string{"http://127.0.0.1/cb"}}}},
		"user app no redirects": {Apps: []zoomsandbox.App{{ClientID: "id", ClientSecret: "s"}}},
		"relative redirect":     {Apps: []zoomsandbox.App{{ClientID: "id", ClientSecret: "s", RedirectURIs: []string{"/cb"}}}},
		"unknown kind":          {Apps: []zoomsandbox.App{{ClientID: "id", ClientSecret: "s", Kind: "jwt"}}},
		"bad user timezone":     {User: zoomsandbox.User{Timezone: "Nowhere/Land"}},
		"negative grace":        {RefreshGrace: -1},
		"negative rate limit":   {RateLimitPerSecond: -1},
	}
	for name, cfg := range tests {
		if _, err := zoomsandbox.New(cfg); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
	if _, err := zoomsandbox.New(zoomsandbox.Config{}); err != nil {
		t.Errorf("zero Config: %v", err)
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	t.Parallel()
	const secret = "very-secret-value"
	app := zoomsandbox.App{Name: "a", ClientID: "id", ClientSecret: secret, RedirectURIs: []string{"http://127.0.0.1/cb"}}
	srv, err := zoomsandbox.New(zoomsandbox.Config{Apps: []zoomsandbox.App{app}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := srv.MintAccessToken("a", 0)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(app)
	if err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("app", "app", app)
	outputs := map[string]string{
		"%v app":    fmt.Sprintf("%v", app),
		"%+v app":   fmt.Sprintf("%+v", app),
		"%#v app":   fmt.Sprintf("%#v", app),
		"json app":  string(js),
		"slog app":  logBuf.String(),
		"%v server": fmt.Sprintf("%v", srv),
		"%#v srv":   fmt.Sprintf("%#v", srv),
	}
	for name, out := range outputs {
		if strings.Contains(out, secret) || strings.Contains(out, tok) {
			t.Errorf("%s leaks a secret: %s", name, out)
		}
		if !strings.Contains(out, "id") && !strings.Contains(out, "zoomsandbox.Server") {
			t.Errorf("%s says nothing useful: %s", name, out)
		}
	}
}
