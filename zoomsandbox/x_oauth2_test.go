package zoomsandbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// TestWithGolangOAuth2 runs the authorization-code flow with PKCE and a
// refresh through golang.org/x/oauth2, the client library the host uses.
func TestWithGolangOAuth2(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	conf := &oauth2.Config{
		ClientID:     zoomsandbox.DefaultClientID,
		ClientSecret: zoomsandbox.DefaultClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: f.ts.URL + "/oauth/authorize", TokenURL: f.ts.URL + "/oauth/token"},
		RedirectURL:  "http://127.0.0.1:41234/oauth2/callback",
	}
	verifier := oauth2.GenerateVerifier()
	resp, _ := f.send(mustRequest(t, http.MethodGet, conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier))))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("state") != "state-1" {
		t.Fatalf("redirect %q: %v", resp.Header.Get("Location"), err)
	}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, f.ts.Client())
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.TokenType != "bearer" || tok.RefreshToken == "" || tok.Extra("api_url") != f.ts.URL || tok.Extra("scope") != "meeting:read meeting:write user:read" {
		t.Fatalf("token: %+v api_url %v", tok, tok.Extra("api_url"))
	}
	client := conf.Client(ctx, tok)
	r, err := client.Get(f.ts.URL + "/v2/users/me")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("users/me with the library's client: %d", r.StatusCode)
	}

	// Force a refresh: the library sees an expired token and rotates it.
	stale := *tok
	stale.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, &stale).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Errorf("refresh did not rotate the tokens")
	}
	// Refreshing again with the old refresh token fails with the OAuth error.
	_, err = conf.TokenSource(ctx, &stale).Token()
	var rerr *oauth2.RetrieveError
	if !errors.As(err, &rerr) || rerr.ErrorCode != "invalid_grant" {
		t.Errorf("old refresh token: err = %v, want a RetrieveError with invalid_grant", err)
	}
}
