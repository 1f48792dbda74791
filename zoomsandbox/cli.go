package zoomsandbox

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults of the nodeplug-zoom-sandbox command. The credentials are public
// on purpose: they only open the local sandbox.
const (
	DefaultAddr            = "127.0.0.1:9901"
	DefaultAppName         = "nodeplug-sandbox"
	DefaultClientID        = "sandbox-oauth-client"
	DefaultClientSecret    = "sandbox-oauth-secret"
	DefaultS2SAppName      = "nodeplug-sandbox-s2s"
	DefaultS2SClientID     = "sandbox-s2s-client"
	DefaultS2SClientSecret = "sandbox-s2s-secret"
	DefaultAccountID       = "sandbox-account"

	envClientSecret    = "NODEPLUG_ZOOM_SANDBOX_CLIENT_SECRET"
	envS2SClientSecret = "NODEPLUG_ZOOM_SANDBOX_S2S_CLIENT_SECRET"
)

// DefaultRedirectURIs is the default app's allow-list; as loopback URIs they
// match any port.
func DefaultRedirectURIs() []string {
	return []string{"http://127.0.0.1/oauth2/callback", "http://localhost/oauth2/callback"}
}

// DefaultUserScopes are the classic scopes of the default user OAuth app.
func DefaultUserScopes() []string {
	return []string{"meeting:read", "meeting:write", "user:read"}
}

// DefaultS2SScopes are the granular admin scopes of the default S2S app.
func DefaultS2SScopes() []string {
	return []string{
		"meeting:read:meeting:admin", "meeting:read:list_meetings:admin", "meeting:write:meeting:admin",
		"meeting:update:meeting:admin", "meeting:delete:meeting:admin", "user:read:user:admin",
	}
}

// DefaultApps returns the apps the sandbox registers when Config.Apps is
// empty: a user OAuth app and a Server-to-Server app.
func DefaultApps() []App {
	return []App{
		{
			Name: DefaultAppName, ClientID: DefaultClientID, ClientSecret: DefaultClientSecret, Kind: AppUserOAuth,
			RedirectURIs: DefaultRedirectURIs(), Scopes: DefaultUserScopes(),
		},
		{
			Name: DefaultS2SAppName, ClientID: DefaultS2SClientID, ClientSecret: DefaultS2SClientSecret, Kind: AppServerToServer,
			AccountID: DefaultAccountID, Scopes: DefaultS2SScopes(),
		},
	}
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// Run is the nodeplug-zoom-sandbox command: it parses args, serves the
// sandbox until ctx is done, prints one line "zoom sandbox listening on
// <base URL>" to stdout once it accepts connections, and logs to stderr.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("nodeplug-zoom-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", DefaultAddr, "listen address (host:port; port 0 picks a free port)")
	baseURL := fs.String("base-url", "", "public base URL if it differs from http://<listen address>")
	atTTL := fs.Duration("access-token-ttl", DefaultAccessTokenTTL, "lifetime (expires_in) of user OAuth access tokens")
	s2sTTL := fs.Duration("s2s-access-token-ttl", DefaultS2SAccessTokenTTL, "lifetime of Server-to-Server access tokens")
	rtTTL := fs.Duration("refresh-token-ttl", DefaultRefreshTokenTTL, "lifetime of refresh tokens")
	grace := fs.Duration("refresh-grace", 0, "how long a rotated refresh token keeps working (0 = invalid at once)")
	rate := fs.Int("rate-limit", 0, "per-second request limit per rate-limit label (0 = off)")
	writes := fs.Int("daily-meeting-writes", DefaultDailyMeetingWrites, "meeting create+update requests per host per UTC day (0 = default 100, negative = unlimited)")
	clientID := fs.String("client-id", DefaultClientID, "client ID of the user OAuth app")
	clientSecret := fs.String("client-secret", "", "client secret of the user OAuth app (default "+DefaultClientSecret+"; prefer $"+envClientSecret+" for real-looking secrets)")
	s2sID := fs.String("s2s-client-id", DefaultS2SClientID, "client ID of the Server-to-Server app")
	s2sSecret := fs.String("s2s-client-secret", "", "client secret of the Server-to-Server app (default "+DefaultS2SClientSecret+"; or $"+envS2SClientSecret+")")
	accountID := fs.String("account-id", DefaultAccountID, "account ID of the Server-to-Server app and the user")
	var redirects listFlag
	fs.Var(&redirects, "redirect-uri", "extra allowed redirect URI of the user OAuth app (repeatable)")
	printConfig := fs.Bool("print-config", false, "print the apps and user as JSON and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("parse flags: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: the sandbox takes flags only (see -help)", fs.Args())
	}
	secret := firstNonEmpty(*clientSecret, os.Getenv(envClientSecret), DefaultClientSecret)
	s2s := firstNonEmpty(*s2sSecret, os.Getenv(envS2SClientSecret), DefaultS2SClientSecret)
	apps := DefaultApps()
	apps[0].ClientID, apps[0].ClientSecret = *clientID, secret
	apps[0].RedirectURIs = append(apps[0].RedirectURIs, redirects...)
	apps[1].ClientID, apps[1].ClientSecret, apps[1].AccountID = *s2sID, s2s, *accountID
	user := DefaultUser()
	user.AccountID = *accountID

	if *printConfig {
		return printSandboxConfig(stdout, *addr, *baseURL, apps, user)
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick another --addr)", *addr, err)
	}
	defer ln.Close()
	base := *baseURL
	if base == "" {
		base = "http://" + publicHostPort(ln.Addr())
	}
	srv, err := New(Config{
		BaseURL: base, Apps: apps, User: user,
		AccessTokenTTL: *atTTL, S2SAccessTokenTTL: *s2sTTL, RefreshTokenTTL: *rtTTL, RefreshGrace: *grace,
		RateLimitPerSecond: *rate, DailyMeetingWrites: *writes, Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("configure sandbox: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "zoom sandbox listening on %s\n", base)
	logger.Info("zoom sandbox started", "base_url", base, "user_app", apps[0].ClientID, "s2s_app", apps[1].ClientID)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		_ = hs.Close()
	}
	logger.Info("zoom sandbox stopped")
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// publicHostPort turns a listener address into one a client can dial:
// unspecified addresses become loopback.
func publicHostPort(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() { // Go listens dual-stack on "::"
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

func printSandboxConfig(w io.Writer, addr, base string, apps []App, user User) error {
	if base == "" {
		base = "http://" + addr
	}
	type appJSON struct {
		Name         string   `json:"name"`
		Kind         AppKind  `json:"kind"`
		ClientID     string   `json:"client_id"`
		ClientSecret string   `json:"client_secret"`
		AccountID    string   `json:"account_id,omitempty"`
		RedirectURIs []string `json:"redirect_uris,omitempty"`
		Scopes       []string `json:"scopes"`
	}
	out := struct {
		BaseURL      string    `json:"base_url"`
		AuthorizeURL string    `json:"authorize_url"`
		TokenURL     string    `json:"token_url"`
		APIBaseURL   string    `json:"api_base_url"`
		Apps         []appJSON `json:"apps"`
		UserID       string    `json:"user_id"`
		UserEmail    string    `json:"user_email"`
	}{BaseURL: base, AuthorizeURL: base + "/oauth/authorize", TokenURL: base + "/oauth/token", APIBaseURL: base + "/v2",
		UserID: user.ID, UserEmail: user.Email}
	for _, a := range apps {
		out.Apps = append(out.Apps, appJSON{Name: a.Name, Kind: a.Kind, ClientID: a.ClientID, ClientSecret: a.ClientSecret,
			AccountID: a.AccountID, RedirectURIs: a.RedirectURIs, Scopes: a.Scopes})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("print config: %w", err)
	}
	return nil
}
