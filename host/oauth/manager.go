package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/nodeplug/nodeplug/host/internal/shellquote"
	"github.com/nodeplug/nodeplug/host/store"
)

// DefaultRefreshMargin is how long before expiry a token is renewed.
const DefaultRefreshMargin = 5 * time.Minute

// refreshTimeout bounds one shared refresh (lock wait plus HTTP), which runs
// detached from any single caller's cancellation.
const refreshTimeout = 2 * time.Minute

// options are shared by the Manager and code flows.
type options struct {
	client *http.Client
	now    func() time.Time
	margin time.Duration
	log    *slog.Logger
}

// Option configures a [Manager] or a [CodeFlow].
type Option func(*options)

// WithHTTPClient sets the client for token requests (default: a client with
// a 30 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the clock used for expiry decisions and to turn expires_in
// into Expiry (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRefreshMargin sets how long before expiry tokens are renewed (default
// 5 minutes). For tokens living less than twice the margin, half their
// lifetime is used instead, so short-lived tokens are not renewed on every
// call.
func WithRefreshMargin(d time.Duration) Option { return func(o *options) { o.margin = d } }

// WithLogger sets the logger (default: discard). Logs name credentials and
// expiry times, never tokens or secrets.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

func buildOptions(opts []Option) options {
	o := options{
		client: &http.Client{Timeout: 30 * time.Second},
		now:    time.Now,
		margin: DefaultRefreshMargin,
		log:    slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.client == nil {
		o.client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	if o.margin < 0 {
		o.margin = 0
	}
	return o
}

// Manager hands out access tokens for stored credentials. It is safe for
// concurrent use, and several Managers (in one or several processes) may
// share one database: refreshes are serialised by [store.Store.WithCredentialLock]
// and a token refreshed by one is reused by the others.
type Manager struct {
	st   *store.Store
	r    Resolver
	opts []Option
	o    options
	sf   singleflight.Group
}

// NewManager returns a token manager over st; r describes each credential's
// endpoint.
func NewManager(st *store.Store, r Resolver, opts ...Option) *Manager {
	return &Manager{st: st, r: r, opts: opts, o: buildOptions(opts)}
}

// StartCodeFlow is [StartCodeFlow] with the manager's HTTP client, clock and
// logger.
func (m *Manager) StartCodeFlow(ep Endpoint, redirectURL string) (*CodeFlow, error) {
	return StartCodeFlow(ep, redirectURL, m.opts...)
}

// Token returns a usable access token for the credential with ID or name
// credID:
//   - static token: the token itself (never refreshed);
//   - account_credentials: the stored token, fetched anew when missing or
//     within the refresh margin of expiry;
//   - authorization code: the stored token, refreshed when within the margin
//     of expiry; the rotated refresh token is committed before the new access
//     token is returned.
//
// Tokens of unknown expiry are used until the API rejects them (then call
// [Manager.Refresh]). Concurrent callers share one refresh.
func (m *Manager) Token(ctx context.Context, credID string) (*store.Token, error) {
	c, ep, err := m.load(ctx, credID)
	if err != nil {
		return nil, err
	}
	switch ep.Grant {
	case GrantStaticToken:
		return &store.Token{AccessToken: ep.StaticToken, TokenType: "Bearer"}, nil
	case GrantAuthorizationCode:
		if c.Token == nil || (c.Token.AccessToken == "" && c.Token.RefreshToken == "") {
			return nil, &NotConnectedError{Credential: c.Name}
		}
	}
	if m.fresh(c.Token) {
		return c.Token, nil
	}
	return m.renewShared(ctx, c, ep, false, "")
}

// Refresh is called after the API answered 401 to rejectedAccessToken. If
// the stored access token is already a different, fresh one (someone
// refreshed meanwhile) it is returned without a request; otherwise the token
// is refreshed (authorization code) or fetched anew (account_credentials).
// Static tokens give [ErrCannotRefresh].
func (m *Manager) Refresh(ctx context.Context, credID, rejectedAccessToken string) (*store.Token, error) {
	c, ep, err := m.load(ctx, credID)
	if err != nil {
		return nil, err
	}
	switch ep.Grant {
	case GrantStaticToken:
		return nil, fmt.Errorf("credential %q: %w", c.Name, ErrCannotRefresh)
	case GrantAuthorizationCode:
		if c.Token == nil || (c.Token.AccessToken == "" && c.Token.RefreshToken == "") {
			return nil, &NotConnectedError{Credential: c.Name}
		}
	}
	if c.Token != nil && c.Token.AccessToken != rejectedAccessToken && m.fresh(c.Token) {
		m.o.log.DebugContext(ctx, "token was already replaced; reusing it", "credential", c.Name)
		return c.Token, nil
	}
	return m.renewShared(ctx, c, ep, true, rejectedAccessToken)
}

// load reads the credential and resolves its endpoint.
func (m *Manager) load(ctx context.Context, credID string) (*store.Credential, Endpoint, error) {
	c, err := m.st.Credential(ctx, credID)
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("oauth: %w", err)
	}
	ep, err := m.r.Endpoint(ctx, c)
	if err != nil {
		return nil, Endpoint{}, fmt.Errorf("credential %q: resolve its OAuth2 endpoint: %w", c.Name, err)
	}
	if err := ep.validate(c.Name, false); err != nil {
		return nil, Endpoint{}, err
	}
	return c, ep, nil
}

// fresh reports whether t can be handed out without renewal.
func (m *Manager) fresh(t *store.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	margin := m.o.margin
	if !t.ObtainedAt.IsZero() {
		if life := t.Expiry.Sub(t.ObtainedAt); life > 0 && margin > life/2 {
			margin = life / 2
		}
	}
	return m.o.now().Add(margin).Before(t.Expiry)
}

// renewShared runs one renewal per credential (and rejected token) at a time
// in this process; every waiting caller gets its own copy of the result. The
// shared work is detached from the first caller's cancellation; each caller
// stops waiting when its own ctx ends.
func (m *Manager) renewShared(ctx context.Context, c *store.Credential, ep Endpoint, force bool, rejected string) (*store.Token, error) {
	key := c.ID
	if force {
		sum := sha256.Sum256([]byte(rejected))
		key += "\x00force\x00" + hex.EncodeToString(sum[:8])
	}
	ch := m.sf.DoChan(key, func() (any, error) {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		return m.renewLocked(wctx, c.ID, c.Name, ep, force, rejected)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("credential %q: waiting for the token: %w", c.Name, context.Cause(ctx))
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*store.Token).Clone(), nil
	}
}

// renewLocked re-reads the credential under the database write lock and
// renews its token unless another caller already did.
func (m *Manager) renewLocked(ctx context.Context, id, name string, ep Endpoint, force bool, rejected string) (*store.Token, error) {
	var (
		out    *store.Token
		outErr error
	)
	err := m.st.WithCredentialLock(ctx, id, func(ctx context.Context, cur *store.Credential, tx store.CredentialTx) error {
		t := cur.Token
		if m.fresh(t) && (!force || t.AccessToken != rejected) {
			m.o.log.InfoContext(ctx, "token already renewed by another caller; reusing it", "credential", cur.Name, "expiry", t.Expiry)
			out = t
			return nil
		}
		var (
			nt  *store.Token
			err error
		)
		switch ep.Grant {
		case GrantAuthorizationCode:
			switch {
			case t == nil || (t.AccessToken == "" && t.RefreshToken == ""):
				outErr = &NotConnectedError{Credential: cur.Name}
				return nil
			case cur.Status == store.StatusNeedsReconnect:
				outErr = &NeedsReconnectError{Credential: cur.Name}
				return nil
			case t.RefreshToken == "":
				cause := "the access token expired and the provider issued no refresh token"
				if err := tx.SetStatus(ctx, store.StatusNeedsReconnect, cause); err != nil {
					return err
				}
				outErr = &NeedsReconnectError{Credential: cur.Name, Cause: cause}
				return nil
			}
			nt, err = refreshToken(ctx, m.o.client, ep, cur.Name, t, m.o.now)
		case GrantAccountCredentials:
			nt, err = fetchAccountToken(ctx, m.o.client, ep, cur.Name, m.o.now)
		default:
			outErr = fmt.Errorf("credential %q: grant %s has no token to renew", cur.Name, ep.Grant)
			return nil
		}
		if err != nil {
			return m.recordFailure(ctx, cur, tx, ep, err, &outErr)
		}
		if err := tx.SetToken(ctx, nt); err != nil {
			m.o.log.ErrorContext(ctx, "could not save the renewed token; the credential may need to be reconnected", "credential", cur.Name, "error", err)
			return err
		}
		if ep.Grant == GrantAccountCredentials {
			m.o.log.InfoContext(ctx, "fetched account token", "credential", cur.Name, "expiry", nt.Expiry)
		} else {
			m.o.log.InfoContext(ctx, "refreshed OAuth2 token", "credential", cur.Name, "expiry", nt.Expiry,
				"refresh_token_rotated", nt.RefreshToken != t.RefreshToken)
		}
		out = nt
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("credential %q: renew token: %w", name, err)
	}
	if outErr != nil {
		return nil, outErr
	}
	return out, nil
}

// recordFailure logs a failed renewal, persists what the user must know
// (needs_reconnect on a rejected refresh token; the message on a rejected
// client) and sets *outErr. It returns an error only if persisting failed.
func (m *Manager) recordFailure(ctx context.Context, cur *store.Credential, tx store.CredentialTx, ep Endpoint, err error, outErr *error) error {
	*outErr = err
	var (
		nr *NeedsReconnectError
		ic *InvalidClientError
	)
	switch {
	case errors.As(err, &nr):
		msg := "the provider rejected the refresh token (invalid_grant)"
		if nr.ProviderReason != "" {
			msg += ": " + nr.ProviderReason
		}
		msg += "; run: nodeplug credentials connect " + shellquote.Quote(cur.Name)
		m.o.log.WarnContext(ctx, "refresh token rejected; credential needs to be reconnected", "credential", cur.Name, "reason", nr.ProviderReason)
		return tx.SetStatus(ctx, store.StatusNeedsReconnect, msg)
	case errors.As(err, &ic):
		m.o.log.WarnContext(ctx, "token endpoint rejected the client ID or secret", "credential", cur.Name, "grant", ep.Grant.String(), "status", ic.StatusCode)
		return tx.SetStatus(ctx, cur.Status, "the token endpoint rejected the client ID or client secret (invalid_client)")
	default:
		m.o.log.WarnContext(ctx, "token renewal failed", "credential", cur.Name, "grant", ep.Grant.String(), "error", err)
		return nil
	}
}
