package zoomsandbox_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

func TestAuthorize(t *testing.T) {
	t.Parallel()
	base := url.Values{"response_type": {"code"}, "client_id": {zoomsandbox.DefaultClientID},
		"redirect_uri": {"http://127.0.0.1:43111/oauth2/callback"}, "state": {"xyz"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	tests := map[string]struct {
		query      url.Values
		wantStatus int
		wantTarget string // scheme+host+path of the redirect
		wantParams map[string]string
		wantCode   bool
	}{
		"loopback any port": {query: base, wantStatus: 302, wantTarget: "http://127.0.0.1:43111/oauth2/callback",
			wantParams: map[string]string{"state": "xyz"}, wantCode: true},
		"localhost other port": {query: with("redirect_uri", "http://localhost:9/oauth2/callback"), wantStatus: 302,
			wantTarget: "http://localhost:9/oauth2/callback", wantParams: map[string]string{"state": "xyz"}, wantCode: true},
		"no state": {query: with("state", ""), wantStatus: 302, wantTarget: "http://127.0.0.1:43111/oauth2/callback",
			wantParams: map[string]string{"state": ""}, wantCode: true},
		"extra scope parameter is ignored": {query: with("scope", "meeting:write"), wantStatus: 302,
			wantTarget: "http://127.0.0.1:43111/oauth2/callback", wantParams: map[string]string{"state": "xyz"}, wantCode: true},
		"pkce S256": {query: func() url.Values {
			q := with("code_challenge", s256(strings.Repeat("v", 43)))
			q.Set("code_challenge_method", "S256")
			return q
		}(), wantStatus: 302, wantTarget: "http://127.0.0.1:43111/oauth2/callback", wantParams: map[string]string{"state": "xyz"}, wantCode: true},
		"unknown client":              {query: with("client_id", "nope"), wantStatus: 400},
		"s2s client cannot authorize": {query: with("client_id", zoomsandbox.DefaultS2SClientID), wantStatus: 400},
		"redirect path differs":       {query: with("redirect_uri", "http://127.0.0.1:43111/other"), wantStatus: 400},
		"redirect host differs":       {query: with("redirect_uri", "http://evil.example/oauth2/callback"), wantStatus: 400},
		"redirect https loopback":     {query: with("redirect_uri", "https://127.0.0.1:43111/oauth2/callback"), wantStatus: 400},
		"missing redirect":            {query: with("redirect_uri", ""), wantStatus: 400},
		"wrong response_type": {query: with("response_type", "token"), wantStatus: 302, wantTarget: "http://127.0.0.1:43111/oauth2/callback",
			wantParams: map[string]string{"error": "unsupported_response_type", "state": "xyz"}},
		"bad challenge method": {query: func() url.Values {
			q := with("code_challenge", s256("x"))
			q.Set("code_challenge_method", "S512")
			return q
		}(), wantStatus: 302, wantTarget: "http://127.0.0.1:43111/oauth2/callback", wantParams: map[string]string{"error": "invalid_request"}},
	}
	f := newFixture(t, nil)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := f.authorize(tc.query)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusFound {
				if resp.Header.Get("Location") != "" {
					t.Errorf("error answer redirects to %q; want an error page", resp.Header.Get("Location"))
				}
				return
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != tc.wantTarget {
				t.Errorf("redirect target = %q, want %q", got, tc.wantTarget)
			}
			for k, v := range tc.wantParams {
				if got := loc.Query().Get(k); got != v {
					t.Errorf("redirect %s = %q, want %q", k, got, v)
				}
			}
			if gotCode := loc.Query().Get("code") != ""; gotCode != tc.wantCode {
				t.Errorf("redirect has code = %v, want %v", gotCode, tc.wantCode)
			}
		})
	}
}

func TestAuthorizationCodeGrant(t *testing.T) {
	t.Parallel()
	const redirect = "http://127.0.0.1:5555/oauth2/callback"
	verifier := strings.Repeat("a1b2", 12) // 48 chars
	tests := map[string]struct {
		challenge, method string
		form              func(code string) url.Values
		id, secret        string
		wantStatus        int
		wantError         string
		wantReason        string
	}{
		"plain flow without PKCE": {form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}}
		}, wantStatus: 200},
		"PKCE S256 ok": {challenge: s256(verifier), method: "S256", form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
		}, wantStatus: 200},
		"PKCE plain when method absent": {challenge: verifier, form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
		}, wantStatus: 200},
		"PKCE S256 mismatch": {challenge: s256(verifier), method: "S256", form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}, "code_verifier": {verifier + "x"}}
		}, wantStatus: 400, wantError: "invalid_grant"},
		"PKCE verifier missing": {challenge: s256(verifier), method: "S256", form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}}
		}, wantStatus: 400, wantError: "invalid_grant"},
		"redirect mismatch": {form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {"http://127.0.0.1:5556/oauth2/callback"}}
		}, wantStatus: 400, wantError: "invalid_request", wantReason: "Redirect URI mismatch"},
		"redirect missing": {form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}}
		}, wantStatus: 400, wantError: "invalid_request"},
		"unknown code": {form: func(string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {"zsbx_code_nope"}, "redirect_uri": {redirect}}
		}, wantStatus: 400, wantError: "invalid_grant", wantReason: "Invalid authorization code"},
		"code missing": {form: func(string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "redirect_uri": {redirect}}
		}, wantStatus: 400, wantError: "invalid_request"},
		"wrong secret": {id: zoomsandbox.DefaultClientID, secret: "nope", form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}}
		}, wantStatus: 401, wantError: "invalid_client"},
		"code of another client": {id: zoomsandbox.DefaultS2SClientID, secret: zoomsandbox.DefaultS2SClientSecret, form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}}
		}, wantStatus: 400, wantError: "unsupported_grant_type"},
		"client credentials in the body": {id: "-", form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect},
				"client_id": {zoomsandbox.DefaultClientID}, "client_secret": {zoomsandbox.DefaultClientSecret}}
		}, wantStatus: 200},
		"no client credentials": {id: "-", form: func(c string) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {redirect}}
		}, wantStatus: 400, wantError: "invalid_request"},
		"missing grant_type": {form: func(c string) url.Values {
			return url.Values{"code": {c}, "redirect_uri": {redirect}}
		}, wantStatus: 400, wantError: "invalid_request"},
		"unsupported grant_type": {form: func(c string) url.Values {
			return url.Values{"grant_type": {"client_credentials"}}
		}, wantStatus: 400, wantError: "unsupported_grant_type"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *zoomsandbox.Config) { c.BaseURL = "http://sandbox.test:9901" })
			code := f.code(redirect, tc.challenge, tc.method)
			id, secret := tc.id, tc.secret
			if id == "" {
				id, secret = zoomsandbox.DefaultClientID, zoomsandbox.DefaultClientSecret
			}
			if id == "-" {
				id = ""
			}
			resp, body := f.postForm("/oauth/token", id, secret, tc.form(code))
			got := decode[tokenJSON](t, body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantStatus != http.StatusOK {
				if got.Error != tc.wantError || (tc.wantReason != "" && got.Reason != tc.wantReason) || got.Reason == "" {
					t.Errorf("error = {%q, %q}, want {%q, %q}", got.Reason, got.Error, tc.wantReason, tc.wantError)
				}
				return
			}
			want := tokenJSON{TokenType: "bearer", ExpiresIn: 3599, Scope: "meeting:read meeting:write user:read", APIURL: "http://sandbox.test:9901"}
			if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool {
				n := p.Last().String()
				return n == ".AccessToken" || n == ".RefreshToken"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("token response (-want +got):\n%s", diff)
			}
			if got.AccessToken == "" || got.RefreshToken == "" || got.AccessToken == got.RefreshToken {
				t.Errorf("want distinct access and refresh tokens, got %q and %q", got.AccessToken, got.RefreshToken)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
			}
			if r, _ := f.api(http.MethodGet, "/v2/users/me", got.AccessToken, nil); r.StatusCode != http.StatusOK {
				t.Errorf("new access token on /v2/users/me: status %d", r.StatusCode)
			}
		})
	}
}

func TestAuthorizationCodeSingleUseAndExpiry(t *testing.T) {
	t.Parallel()
	const redirect = "http://localhost:7000/oauth2/callback"
	exchange := func(f *fixture, code string) (*http.Response, tokenJSON) {
		resp, body := f.postForm("/oauth/token", zoomsandbox.DefaultClientID, zoomsandbox.DefaultClientSecret,
			url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}})
		return resp, decode[tokenJSON](t, body)
	}
	t.Run("reuse", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		code := f.code(redirect, "", "")
		resp, first := exchange(f, code)
		if resp.StatusCode != 200 {
			t.Fatalf("first exchange: %d", resp.StatusCode)
		}
		resp, second := exchange(f, code)
		if resp.StatusCode != 400 || second.Error != "invalid_grant" || second.Reason != "Invalid authorization code" {
			t.Fatalf("second exchange = %d %+v, want 400 invalid_grant", resp.StatusCode, second)
		}
		// The reused code's tokens are revoked.
		if r, b := f.api(http.MethodGet, "/v2/users/me", first.AccessToken, nil); r.StatusCode != 401 {
			t.Errorf("token from a replayed code: status %d %s, want 401", r.StatusCode, b)
		}
	})
	t.Run("expired after five minutes", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		code := f.code(redirect, "", "")
		f.srv.Advance(5*time.Minute + time.Second)
		if resp, got := exchange(f, code); resp.StatusCode != 400 || got.Error != "invalid_grant" {
			t.Fatalf("expired code = %d %+v, want 400 invalid_grant", resp.StatusCode, got)
		}
	})
	t.Run("still valid just before five minutes", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		code := f.code(redirect, "", "")
		f.srv.Advance(5*time.Minute - time.Second)
		if resp, _ := exchange(f, code); resp.StatusCode != 200 {
			t.Fatalf("code at 4:59 = %d, want 200", resp.StatusCode)
		}
	})
}

func TestTokenParametersInQuery(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	const redirect = "http://127.0.0.1:1/oauth2/callback"
	code := f.code(redirect, "", "")
	q := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
	req := mustRequest(t, http.MethodPost, f.ts.URL+"/oauth/token?"+q.Encode())
	req.SetBasicAuth(zoomsandbox.DefaultClientID, zoomsandbox.DefaultClientSecret)
	resp, body := f.send(req)
	if resp.StatusCode != 200 {
		t.Fatalf("query-string token request: %d %s", resp.StatusCode, body)
	}
	if got := decode[tokenJSON](t, body); got.RefreshToken == "" {
		t.Errorf("no refresh token in %s", body)
	}
}

func TestBasicCredentialsFormEncoded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) {
		c.Apps = []zoomsandbox.App{{Name: "odd", ClientID: "id with space", ClientSecret: "s:e/c+r=t", Kind: zoomsandbox.AppServerToServer,
			AccountID: "acct", Scopes: []string{"user:read:user:admin"}}}
	})
	for name, pair := range map[string][2]string{
		"raw":          {"id with space", "s:e/c+r=t"},
		"form-encoded": {url.QueryEscape("id with space"), url.QueryEscape("s:e/c+r=t")},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := f.postForm("/oauth/token", pair[0], pair[1], url.Values{"grant_type": {"account_credentials"}, "account_id": {"acct"}})
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
}

func TestAccountCredentials(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		id, secret string
		form       url.Values
		wantStatus int
		wantError  string
	}{
		"ok": {id: zoomsandbox.DefaultS2SClientID, secret: zoomsandbox.DefaultS2SClientSecret,
			form: url.Values{"grant_type": {"account_credentials"}, "account_id": {zoomsandbox.DefaultAccountID}}, wantStatus: 200},
		"wrong account": {id: zoomsandbox.DefaultS2SClientID, secret: zoomsandbox.DefaultS2SClientSecret,
			form: url.Values{"grant_type": {"account_credentials"}, "account_id": {"other"}}, wantStatus: 400, wantError: "invalid_request"},
		"missing account": {id: zoomsandbox.DefaultS2SClientID, secret: zoomsandbox.DefaultS2SClientSecret,
			form: url.Values{"grant_type": {"account_credentials"}}, wantStatus: 400, wantError: "invalid_request"},
		"user app": {id: zoomsandbox.DefaultClientID, secret: zoomsandbox.DefaultClientSecret,
			form: url.Values{"grant_type": {"account_credentials"}, "account_id": {zoomsandbox.DefaultAccountID}}, wantStatus: 400, wantError: "unsupported_grant_type"},
		"s2s cannot refresh": {id: zoomsandbox.DefaultS2SClientID, secret: zoomsandbox.DefaultS2SClientSecret,
			form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, wantStatus: 400, wantError: "unsupported_grant_type"},
	}
	f := newFixture(t, func(c *zoomsandbox.Config) { c.BaseURL = "http://sandbox.test" })
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := f.postForm("/oauth/token", tc.id, tc.secret, tc.form)
			got := decode[tokenJSON](t, body)
			if resp.StatusCode != tc.wantStatus || got.Error != tc.wantError {
				t.Fatalf("got %d %q, want %d %q; body %s", resp.StatusCode, got.Error, tc.wantStatus, tc.wantError, body)
			}
			if tc.wantStatus != 200 {
				return
			}
			want := tokenJSON{AccessToken: got.AccessToken, TokenType: "bearer", ExpiresIn: 3600,
				Scope: strings.Join(zoomsandbox.DefaultS2SScopes(), " "), APIURL: "http://sandbox.test"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("S2S token (-want +got):\n%s", diff)
			}
			if r, b := f.api(http.MethodPost, "/v2/users/me/meetings", got.AccessToken, `{"topic":"s2s"}`); r.StatusCode != 201 {
				t.Errorf("S2S token creating a meeting: %d %s", r.StatusCode, b)
			}
		})
	}
}

func TestS2STokenCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.Quirks.MaxS2STokens = 2 })
	var toks []string
	for range 3 {
		resp, body := f.postForm("/oauth/token", zoomsandbox.DefaultS2SClientID, zoomsandbox.DefaultS2SClientSecret,
			url.Values{"grant_type": {"account_credentials"}, "account_id": {zoomsandbox.DefaultAccountID}})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		toks = append(toks, decode[tokenJSON](t, body).AccessToken)
	}
	for i, want := range []int{401, 200, 200} {
		if r, _ := f.api(http.MethodGet, "/v2/users/me", toks[i], nil); r.StatusCode != want {
			t.Errorf("token %d: status %d, want %d", i, r.StatusCode, want)
		}
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	first := f.grantTokens()
	resp, second := f.refresh(first.RefreshToken)
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d %+v", resp.StatusCode, second)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatalf("refresh did not rotate: %+v -> %+v", first, second)
	}
	if second.ExpiresIn != 3599 || second.Scope != "meeting:read meeting:write user:read" {
		t.Errorf("refreshed token: expires_in %d scope %q", second.ExpiresIn, second.Scope)
	}
	// The old refresh token is dead at once.
	resp, old := f.refresh(first.RefreshToken)
	if resp.StatusCode != 400 || old.Error != "invalid_grant" || old.Reason != "Invalid Token!" {
		t.Errorf("old refresh token: %d %+v, want 400 invalid_grant \"Invalid Token!\"", resp.StatusCode, old)
	}
	// So is the old access token; the new one works.
	if r, b := f.api(http.MethodGet, "/v2/users/me", first.AccessToken, nil); r.StatusCode != 401 || decode[apiErr](t, b).Code != 124 {
		t.Errorf("old access token: %d %s, want 401/124", r.StatusCode, b)
	}
	if r, _ := f.api(http.MethodGet, "/v2/users/me", second.AccessToken, nil); r.StatusCode != 200 {
		t.Errorf("new access token: %d", r.StatusCode)
	}
	// The newest refresh token keeps working.
	if resp, third := f.refresh(second.RefreshToken); resp.StatusCode != 200 || third.RefreshToken == second.RefreshToken {
		t.Errorf("second refresh: %d %+v", resp.StatusCode, third)
	}
	if st := f.srv.Stats(); st.Refreshes != 2 || st.TokenGrants["refresh_token"] != 2 || st.TokenGrants["authorization_code"] != 1 || st.TokenErrors != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRefreshGraceAndErrorQuirk(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) {
		c.RefreshGrace = time.Minute
		c.Quirks.RefreshTokenError = "invalid_request"
	})
	first := f.grantTokens()
	if resp, _ := f.refresh(first.RefreshToken); resp.StatusCode != 200 {
		t.Fatalf("refresh: %d", resp.StatusCode)
	}
	f.srv.Advance(59 * time.Second)
	if r, _ := f.api(http.MethodGet, "/v2/users/me", first.AccessToken, nil); r.StatusCode != 200 {
		t.Errorf("old access token inside the grace window: %d, want 200", r.StatusCode)
	}
	if resp, got := f.refresh(first.RefreshToken); resp.StatusCode != 200 {
		t.Errorf("old refresh token inside the grace window: %d %+v, want 200", resp.StatusCode, got)
	}
	f.srv.Advance(time.Second)
	if resp, got := f.refresh(first.RefreshToken); resp.StatusCode != 400 || got.Error != "invalid_request" {
		t.Errorf("old refresh token after the grace window: %d %+v, want 400 invalid_request", resp.StatusCode, got)
	}
}

func TestKeepAccessTokenOnRefresh(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.Quirks.KeepAccessTokenOnRefresh = true })
	first := f.grantTokens()
	if resp, _ := f.refresh(first.RefreshToken); resp.StatusCode != 200 {
		t.Fatal("refresh failed")
	}
	if r, _ := f.api(http.MethodGet, "/v2/users/me", first.AccessToken, nil); r.StatusCode != 200 {
		t.Errorf("old access token with KeepAccessTokenOnRefresh: %d, want 200", r.StatusCode)
	}
	if resp, _ := f.refresh(first.RefreshToken); resp.StatusCode != 400 {
		t.Errorf("old refresh token: %d, want 400", resp.StatusCode)
	}
}

func TestRefreshTokenExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.RefreshTokenTTL = 48 * time.Hour })
	tok := f.grantTokens()
	f.srv.Advance(48 * time.Hour)
	if resp, got := f.refresh(tok.RefreshToken); resp.StatusCode != 400 || got.Error != "invalid_grant" {
		t.Errorf("expired refresh token: %d %+v", resp.StatusCode, got)
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		revoke     func(tj tokenJSON) string
		id, secret string
		wantStatus int
		wantDead   bool
	}{
		"access token":  {revoke: func(tj tokenJSON) string { return tj.AccessToken }, wantStatus: 200, wantDead: true},
		"refresh token": {revoke: func(tj tokenJSON) string { return tj.RefreshToken }, wantStatus: 200, wantDead: true},
		"unknown token": {revoke: func(tokenJSON) string { return "nope" }, wantStatus: 200},
		"other client": {revoke: func(tj tokenJSON) string { return tj.AccessToken },
			id: zoomsandbox.DefaultS2SClientID, secret: zoomsandbox.DefaultS2SClientSecret, wantStatus: 400},
		"bad secret": {revoke: func(tj tokenJSON) string { return tj.AccessToken }, id: zoomsandbox.DefaultClientID, secret: "x", wantStatus: 401},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			tj := f.grantTokens()
			id, secret := tc.id, tc.secret
			if id == "" {
				id, secret = zoomsandbox.DefaultClientID, zoomsandbox.DefaultClientSecret
			}
			resp, body := f.postForm("/oauth/revoke", id, secret, url.Values{"token": {tc.revoke(tj)}})
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("revoke: %d %s, want %d", resp.StatusCode, body, tc.wantStatus)
			}
			if tc.wantStatus == 200 {
				if diff := cmp.Diff(map[string]string{"status": "success"}, decode[map[string]string](t, body)); diff != "" {
					t.Errorf("revoke body (-want +got):\n%s", diff)
				}
			}
			r, b := f.api(http.MethodGet, "/v2/users/me", tj.AccessToken, nil)
			if dead := r.StatusCode == 401; dead != tc.wantDead {
				t.Errorf("access token after revoke: %d %s, want dead=%v", r.StatusCode, b, tc.wantDead)
			}
			rr, _ := f.refresh(tj.RefreshToken)
			if dead := rr.StatusCode == 400; dead != tc.wantDead {
				t.Errorf("refresh token after revoke: %d, want dead=%v", rr.StatusCode, tc.wantDead)
			}
		})
	}
}

func TestRevokeTokenMethod(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tj := f.grantTokens()
	f.srv.RevokeToken(tj.RefreshToken)
	if r, b := f.api(http.MethodGet, "/v2/users/me", tj.AccessToken, nil); r.StatusCode != 401 || decode[apiErr](t, b).Message != "Invalid access token." {
		t.Errorf("after RevokeToken: %d %s", r.StatusCode, b)
	}
	if st := f.srv.Stats(); st.Revocations != 1 {
		t.Errorf("Revocations = %d, want 1", st.Revocations)
	}
}

func TestReauthorizationRevokesEarlierTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	old := f.grantTokens()
	minted := f.mint(zoomsandbox.DefaultClientID)
	renewed := f.grantTokens()
	r, b := f.api(http.MethodGet, "/v2/users/me", old.AccessToken, nil)
	if got := decode[apiErr](t, b); r.StatusCode != 401 || got.Code != 124 || got.Message != "Invalid access token." {
		t.Errorf("earlier access token: %d %s, want 401/124 Invalid access token.", r.StatusCode, b)
	}
	if resp, _ := f.refresh(old.RefreshToken); resp.StatusCode != 400 {
		t.Errorf("earlier refresh token: %d, want 400", resp.StatusCode)
	}
	for name, tok := range map[string]string{"new": renewed.AccessToken, "minted": minted} {
		if r, _ := f.api(http.MethodGet, "/v2/users/me", tok, nil); r.StatusCode != 200 {
			t.Errorf("%s access token: %d, want 200", name, r.StatusCode)
		}
	}
}

func TestRejectBodyClientCredentialsQuirk(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *zoomsandbox.Config) { c.Quirks.RejectBodyClientCredentials = true })
	resp, body := f.postForm("/oauth/token", "", "", url.Values{"grant_type": {"account_credentials"}, "account_id": {zoomsandbox.DefaultAccountID},
		"client_id": {zoomsandbox.DefaultS2SClientID}, "client_secret": {zoomsandbox.DefaultS2SClientSecret}})
	if got := decode[tokenJSON](t, body); resp.StatusCode != 400 || got.Error != "invalid_request" {
		t.Errorf("body credentials with the quirk: %d %s", resp.StatusCode, body)
	}
	req := mustRequest(t, http.MethodPost, f.ts.URL+"/oauth/token?grant_type=account_credentials&account_id="+zoomsandbox.DefaultAccountID)
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(zoomsandbox.DefaultS2SClientID+":"+zoomsandbox.DefaultS2SClientSecret)))
	if resp, body := f.send(req); resp.StatusCode != 200 {
		t.Errorf("Basic credentials with the quirk: %d %s", resp.StatusCode, body)
	}
}

func TestTokenEndpointMethod(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	resp, body := f.send(mustRequest(t, http.MethodGet, f.ts.URL+"/oauth/token"))
	if resp.StatusCode != http.StatusMethodNotAllowed || decode[tokenJSON](t, body).Error != "invalid_request" {
		t.Errorf("GET /oauth/token: %d %s", resp.StatusCode, body)
	}
}
