// Package zoom is the nodeplug Zoom plugin: the Zoom credential types (user
// OAuth2, Server-to-Server OAuth and the retired JWT token) and the zoom
// node, a drop-in for n8n's n8n-nodes-base.zoom that creates, reads, lists,
// updates and deletes meetings.
//
// The node accepts n8n's parameters unchanged but sends requests as Zoom
// documents them rather than copying n8n's quirks: start times are converted
// with the meeting's time zone, false/0/"" values are sent, passwords are
// checked, getAll pages with next_page_token, meeting IDs are validated and
// escaped, and every failure is a diagnostic that says what to do.
//
// The plugin never sees a client secret or a refresh token: the host obtains
// access tokens and refreshes them when the plugin asks (sdk.Credential.Refresh).
package zoom

import (
	"context"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// Plugin identity.
const (
	PluginName    = "zoom"
	PluginVersion = "0.1.0"
)

// Option configures New.
type Option func(*config)

type config struct {
	hc        *http.Client
	retryWait func(ctx context.Context, d time.Duration) error
	logger    hclog.Logger
	now       func() time.Time
}

// WithHTTPClient sets the HTTP client for Zoom API calls (default: a client
// with a 60 s timeout).
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.hc = hc } }

// WithRetryWait replaces how the plugin waits before retrying a throttled
// call (default: a timer that stops when ctx is done). Tests inject a
// function that records the delay and returns at once.
func WithRetryWait(f func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) { c.retryWait = f }
}

// WithLogger sets the plugin's logger (default: JSON lines on stderr,
// level from NODEPLUG_LOG_LEVEL).
func WithLogger(l hclog.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock sets the clock used to turn a Retry-After date into a delay.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// maxRetryWait is the longest Retry-After the plugin waits for itself;
// longer waits become a rate-limited diagnostic for the host.
const maxRetryWait = 30 * time.Second

// maxRateLimitRetries bounds retries after HTTP 429 for one call.
const maxRateLimitRetries = 2

// plug holds the configured plugin's handlers.
type plug struct {
	config
}

// New returns the Zoom plugin.
func New(opts ...Option) *sdk.Plugin {
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.hc == nil {
		cfg.hc = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.retryWait == nil {
		cfg.retryWait = sleepCtx
	}
	if cfg.logger == nil {
		cfg.logger = protocol.NewLogger("nodeplug-zoom")
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	z := &plug{config: cfg}
	return &sdk.Plugin{
		Name:    PluginName,
		Version: PluginVersion,
		Credentials: []sdk.CredentialDef{
			{Type: jwtCredentialType(), Resolver: sdk.AuthResolverFunc(resolveJWT), Tester: sdk.CredentialTesterFunc(z.testCredential)},
			{Type: oauth2CredentialType(), Resolver: sdk.AuthResolverFunc(resolveOAuth2), Tester: sdk.CredentialTesterFunc(z.testCredential)},
			{Type: s2sCredentialType(), Resolver: sdk.AuthResolverFunc(resolveS2S), Tester: sdk.CredentialTesterFunc(z.testCredential)},
		},
		Nodes: []sdk.NodeDef{{
			Type:     nodeType(),
			Executor: sdk.PerItem(z.executeItem),
			OptionLoaders: map[string]sdk.OptionsLoader{
				loadTimezones: sdk.OptionsLoaderFunc(getTimezones),
			},
		}},
	}
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
