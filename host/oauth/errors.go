package oauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nodeplug/nodeplug/host/internal/shellquote"
)

// ErrStateMismatch is returned by [CodeFlow.Callback] when the callback's
// state parameter is not the one this flow generated.
var ErrStateMismatch = errors.New("oauth: the callback's state parameter does not match this authorization attempt " +
	"(an old browser tab or a forged link); start again with: nodeplug credentials connect")

// ErrFlowDone is returned by [CodeFlow.Callback] when the flow already
// handled its callback; an authorization code can be used only once.
var ErrFlowDone = errors.New("oauth: this authorization attempt already handled its callback; start again with: nodeplug credentials connect")

// ErrCannotRefresh is returned (wrapped, naming the credential) by
// [Manager.Refresh] for static tokens, which the host cannot renew.
var ErrCannotRefresh = errors.New("a static token cannot be refreshed; if the API rejects it, give the credential a valid token: nodeplug credentials update NAME")

// ErrNotConnected matches [*NotConnectedError] with errors.Is.
var ErrNotConnected = errors.New("credential is not connected")

// NotConnectedError: an authorization-code credential has no token yet.
type NotConnectedError struct {
	Credential string
}

// Error implements error; the message never holds a token or secret.
func (e *NotConnectedError) Error() string {
	return fmt.Sprintf("credential %q is not connected: no OAuth2 token was obtained yet; run: nodeplug credentials connect %s", e.Credential, shellquote.Quote(e.Credential))
}

// Is makes errors.Is(err, ErrNotConnected) true.
func (e *NotConnectedError) Is(target error) bool { return target == ErrNotConnected }

// defaultReconnectCause is the cause of a rejected refresh token.
const defaultReconnectCause = "the refresh token was revoked or expired"

// NeedsReconnectError: the credential's refresh token no longer works (the
// provider answered invalid_grant, or no refresh token was issued); the user
// must run the connect flow again. The credential's status is set to
// needs_reconnect with the provider's reason.
type NeedsReconnectError struct {
	Credential string
	// Cause replaces "the refresh token was revoked or expired" in the
	// message when set.
	Cause string
	// ProviderReason is the provider's explanation (sanitised), e.g.
	// "Invalid Token!"; not part of the message.
	ProviderReason string
	// Err is the underlying token-endpoint error, if any.
	Err error
}

// Error implements error; the message never holds a token or secret.
func (e *NeedsReconnectError) Error() string {
	cause := e.Cause
	if cause == "" {
		cause = defaultReconnectCause
	}
	return fmt.Sprintf("credential %q needs to be reconnected: %s; run: nodeplug credentials connect %s", e.Credential, cause, shellquote.Quote(e.Credential))
}

// Unwrap returns the token-endpoint error.
func (e *NeedsReconnectError) Unwrap() error { return e.Err }

// InvalidClientError: the token endpoint rejected the client ID or secret
// (HTTP 401 or error=invalid_client).
type InvalidClientError struct {
	// Credential is empty during a code flow not yet tied to a credential.
	Credential string
	StatusCode int
	Err        error
}

// Error implements error; the message never holds a token or secret.
func (e *InvalidClientError) Error() string {
	return fmt.Sprintf("%sthe client ID or client secret is wrong (the token endpoint answered HTTP %d invalid_client); "+
		"check them in the app's settings, then correct them: nodeplug credentials update %s", credPrefix(e.Credential), e.StatusCode, shellquote.Quote(e.Credential))
}

// Unwrap returns the token-endpoint error.
func (e *InvalidClientError) Unwrap() error { return e.Err }

// TokenError is any other error answer of the token endpoint.
type TokenError struct {
	// Credential is empty during a code flow not yet tied to a credential.
	Credential string
	// Op is the request: "token refresh", "authorization code exchange" or
	// "account token request".
	Op         string
	StatusCode int
	// Code is the OAuth2 error code (e.g. invalid_request), if any.
	Code string
	// Reason is the provider's sanitised explanation, if any.
	Reason string
	Err    error
}

// Error implements error; the message never holds a token or secret.
func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s failed: the token endpoint answered HTTP %d", credPrefix(e.Credential), e.Op, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%q)", e.Reason)
	}
	if hint := e.hint(); hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

func (e *TokenError) hint() string {
	switch {
	case e.Op == opExchange && e.Code == "invalid_grant":
		return "the authorization code was rejected (expired, already used, or the PKCE verifier did not match); start again with: nodeplug credentials connect"
	case e.Op == opExchange:
		return "check the credential's redirect URL and settings, then start again with: nodeplug credentials connect"
	case e.Op == opAccount && e.Code == "invalid_grant":
		return "check the credential's account ID and that the app is activated, then correct it with: nodeplug credentials update NAME"
	case e.Op == opRefresh && e.Credential != "":
		return "if this persists, run: nodeplug credentials connect " + shellquote.Quote(e.Credential)
	case e.StatusCode >= 500:
		return "the provider had a server error; try again later"
	}
	return ""
}

// Unwrap returns the underlying error (an *oauth2.RetrieveError).
func (e *TokenError) Unwrap() error { return e.Err }

// AuthorizationError: the authorization server redirected back with
// error=… (for example the user denied consent).
type AuthorizationError struct {
	Code        string
	Description string
}

// Error implements error; the message never holds a token or secret.
func (e *AuthorizationError) Error() string {
	msg := "oauth: the authorization was not granted: " + e.Code
	if e.Description != "" {
		msg += fmt.Sprintf(" (%q)", e.Description)
	}
	return msg + "; start again with: nodeplug credentials connect"
}
