package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nodeplug/nodeplug/host/oauth"
	"github.com/nodeplug/nodeplug/host/plugins"
	"github.com/nodeplug/nodeplug/host/secrets"
	"github.com/nodeplug/nodeplug/host/store"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// EnvRefreshMargin sets how long before expiry an access token is refreshed.
const EnvRefreshMargin = "NODEPLUG_REFRESH_MARGIN"

// services are opened lazily, once per command.
type services struct {
	st     *store.Store
	tokens *oauth.Manager
}

func (a *app) store(ctx context.Context) (*store.Store, error) {
	if a.svc.st != nil {
		return a.svc.st, nil
	}
	dir, err := a.dataDir()
	if err != nil {
		return nil, err
	}
	dbPath := filepath.Join(dir, "nodeplug.db")
	keyPath := filepath.Join(dir, secrets.KeyFileName)
	if a.io.Getenv(secrets.EnvKey) == "" && !exists(keyPath) && exists(dbPath) {
		// Never make a new key for an existing database: it could not open it,
		// and the stray key file would only confuse.
		return nil, fmt.Errorf("the database %s exists but its key file %s is missing: restore the key file, or set %s to the key the database was created with; nothing was changed", dbPath, keyPath, secrets.EnvKey)
	}
	c, src, err := secrets.LoadKey(dir, a.io.Getenv)
	if err != nil {
		return nil, fmt.Errorf("loading the encryption key: %w", err)
	}
	st, err := store.Open(ctx, dbPath, c)
	if err != nil {
		if errors.Is(err, store.ErrWrongKey) {
			return nil, fmt.Errorf("%w\n  key in use: %s\n  database:   %s\n  set %s to the key the database was created with, or restore its key file",
				store.ErrWrongKey, src, dbPath, secrets.EnvKey)
		}
		return nil, err
	}
	// The database holds only ciphertext for secrets, but its history and
	// names are the user's own: keep the files private like the key file.
	for _, f := range []string{dbPath, dbPath + "-wal", dbPath + "-shm"} {
		if exists(f) {
			_ = os.Chmod(f, 0o600)
		}
	}
	a.svc.st = st
	a.onClose(func() { _ = st.Close() })
	return st, nil
}

func (a *app) tokens(ctx context.Context) (*oauth.Manager, error) {
	if a.svc.tokens != nil {
		return a.svc.tokens, nil
	}
	st, err := a.store(ctx)
	if err != nil {
		return nil, err
	}
	opts := []oauth.Option{oauth.WithLogger(a.slogger())}
	if m := a.io.Getenv(EnvRefreshMargin); m != "" {
		d, err := time.ParseDuration(m)
		if err != nil {
			return nil, fmt.Errorf("%s=%q is not a duration such as 5m: %w", EnvRefreshMargin, m, err)
		}
		opts = append(opts, oauth.WithRefreshMargin(d))
	}
	a.svc.tokens = oauth.NewManager(st, &authResolver{a: a}, opts...)
	return a.svc.tokens, nil
}

// credentialType finds the plugin and description of a stored credential's type.
func (a *app) credentialType(ctx context.Context, typ string) (*plugins.Plugin, *sdk.CredentialType, error) {
	pm, err := a.plugins(ctx)
	if err != nil {
		return nil, nil, err
	}
	return pm.CredentialType(typ)
}

// publicData is a credential's data without its secret properties: all a
// plugin may see.
func publicData(ct *sdk.CredentialType, data map[string]any) json.RawMessage {
	pub := map[string]any{}
	for k, v := range data {
		if p, ok := ct.Property(k); ok && p.Secret {
			continue
		}
		pub[k] = v
	}
	b, _ := json.Marshal(pub)
	return b
}

// authResolver asks the credential's plugin how it authenticates.
type authResolver struct{ a *app }

func (r *authResolver) Endpoint(ctx context.Context, c *store.Credential) (oauth.Endpoint, error) {
	p, ct, err := r.a.credentialType(ctx, c.Type)
	if err != nil {
		return oauth.Endpoint{}, err
	}
	str := func(name string) string {
		if name == "" {
			return ""
		}
		s, _ := c.Data[name].(string)
		return s
	}
	switch ct.Auth.Kind {
	case sdk.AuthStaticBearer:
		return oauth.Endpoint{Grant: oauth.GrantStaticToken, StaticToken: str(ct.Auth.TokenProperty)}, nil
	case sdk.AuthOAuth2AuthorizationCode, sdk.AuthOAuth2AccountCredentials, sdk.AuthOAuth2ClientCredentials:
	default:
		return oauth.Endpoint{}, fmt.Errorf("credential type %s uses authentication %s, which this host does not support", ct.Name, ct.Auth.Kind)
	}
	spec := ct.Auth.OAuth2
	if spec == nil {
		return oauth.Endpoint{}, fmt.Errorf("credential type %s declares OAuth2 without endpoints (plugin %s)", ct.Name, p.Name)
	}
	res, err := p.Client().ResolveAuth(ctx, &sdk.ResolveAuthRequest{CredentialType: c.Type, Data: publicData(ct, c.Data)})
	if err != nil {
		return oauth.Endpoint{}, p.Wrap("resolving the endpoints of credential "+c.Name, err)
	}
	ep := oauth.Endpoint{
		AuthorizeURL: res.AuthorizeURL,
		TokenURL:     res.TokenURL,
		ClientID:     str(spec.ClientIDProperty),
		ClientSecret: str(spec.ClientSecretProperty),
		Scopes:       res.Scopes,
		ClientAuth:   oauth.ClientAuthHeader,
		PKCE:         spec.PKCE,
		TokenParams:  res.TokenParams,
	}
	if spec.ClientAuth == sdk.ClientAuthBody {
		ep.ClientAuth = oauth.ClientAuthBody
	}
	if spec.ScopeProperty != "" {
		if v, ok := c.Data[spec.ScopeProperty]; ok {
			s, _ := v.(string)
			ep.Scopes = strings.Fields(s)
		}
	}
	switch ct.Auth.Kind {
	case sdk.AuthOAuth2AuthorizationCode:
		ep.Grant = oauth.GrantAuthorizationCode
	case sdk.AuthOAuth2AccountCredentials:
		ep.Grant = oauth.GrantAccountCredentials
	default:
		return oauth.Endpoint{}, fmt.Errorf("credential type %s: the client credentials grant is not supported by this host yet", ct.Name)
	}
	return ep, nil
}

// hostRefresher answers plugins' "this token was rejected" callbacks.
type hostRefresher struct{ a *app }

func (h *hostRefresher) RefreshToken(ctx context.Context, credentialID, rejected string) (sdk.Token, error) {
	tm, err := h.a.tokens(ctx)
	if err != nil {
		return sdk.Token{}, err
	}
	t, err := tm.Refresh(ctx, credentialID, rejected)
	if err != nil {
		return sdk.Token{}, &sdk.Diagnostic{Severity: sdk.SeverityError, Kind: sdk.KindAuth, Summary: "The token was rejected and could not be refreshed", Detail: err.Error(), ItemIndex: sdk.NoItem}
	}
	return sdk.Token{AccessToken: t.AccessToken, ExpiresAt: t.Expiry, Info: t.Extra}, nil
}

// callCredential is what a plugin receives for a stored credential: public
// data and a fresh access token.
func (a *app) callCredential(ctx context.Context, c *store.Credential) (sdk.Credential, error) {
	_, ct, err := a.credentialType(ctx, c.Type)
	if err != nil {
		return sdk.Credential{}, err
	}
	tm, err := a.tokens(ctx)
	if err != nil {
		return sdk.Credential{}, err
	}
	t, err := tm.Token(ctx, c.ID)
	if err != nil {
		return sdk.Credential{}, err
	}
	return sdk.Credential{ID: c.ID, Type: c.Type, Name: c.Name, Data: publicData(ct, c.Data), AccessToken: t.AccessToken, ExpiresAt: t.Expiry, TokenInfo: t.Extra}, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
