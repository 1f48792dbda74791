package zoom

import (
	"encoding/json"
	"testing"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func TestAPIBaseURLPrecedence(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		data   string
		apiURL string
		want   string
		attr   string
	}{
		"Zoom default":                         {`{}`, "", "https://api.zoom.us/v2", ""},
		"token api_url (regional)":             {`{"environment":"zoom"}`, "https://api-eu.zoom.us", "https://api-eu.zoom.us/v2", ""},
		"Zoom for Government":                  {`{"environment":"zoomGov"}`, "", "https://api.zoomgov.com/v2", ""},
		"government token api_url":             {`{"environment":"zoomGov"}`, "https://api.zoomgov.com/", "https://api.zoomgov.com/v2", ""},
		"custom apiBaseUrl beats api_url":      {`{"environment":"custom","apiBaseUrl":"http://127.0.0.1:9901/"}`, "https://api.zoom.us", "http://127.0.0.1:9901/v2", ""},
		"custom apiBaseUrl with /v2 kept":      {`{"environment":"custom","apiBaseUrl":"https://proxy.example.test/zoom/v2"}`, "", "https://proxy.example.test/zoom/v2", ""},
		"custom without apiBaseUrl":            {`{"environment":"custom","oauthBaseUrl":"http://127.0.0.1:9901"}`, "http://127.0.0.1:9901", "http://127.0.0.1:9901/v2", ""},
		"apiBaseUrl ignored when not custom":   {`{"environment":"zoom","apiBaseUrl":"http://evil.example.test"}`, "", "https://api.zoom.us/v2", ""},
		"old data: apiBaseUrl, no environment": {`{"apiBaseUrl":"http://127.0.0.1:9901"}`, "", "http://127.0.0.1:9901/v2", ""},
		"unusable api_url is ignored":          {`{}`, "not a url", "https://api.zoom.us/v2", ""},
		"custom with nothing":                  {`{"environment":"custom"}`, "", "", "apiBaseUrl"},
		"custom with bad apiBaseUrl":           {`{"environment":"custom","apiBaseUrl":"file:///etc/passwd"}`, "", "", "apiBaseUrl"},
		"unknown environment":                  {`{"environment":"mars"}`, "", "", "environment"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := &sdk.Credential{Name: "z", Data: json.RawMessage(tc.data), TokenInfo: map[string]string{}}
			if tc.apiURL != "" {
				c.TokenInfo["api_url"] = tc.apiURL
			}
			got, err := apiBaseURL(c)
			if tc.attr != "" {
				d := sdk.AsDiagnostic(err)
				if err == nil || d.Attribute.String() != tc.attr || d.Kind != sdk.KindConfig {
					t.Errorf("apiBaseURL = %q, %v; want a config diagnostic on %s", got, err, tc.attr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("apiBaseURL = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestLooksLikeLegacyJWT(t *testing.T) {
	t.Parallel()
	for tok, want := range map[string]bool{
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJteS1hcGkta2V5IiwiZXhwIjoxNjg1NjAwMDAwfQ.c2ln":       true,
		"eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIiwidiI6IjIuMCIsImtpZCI6ImsifQ.eyJ1aWQiOiJ1IiwidmVyIjo5fQ.c2ln": false, // Zoom OAuth style
		"mock-at-7f3c1e": false,
		"a.b.c":          false,
		"":               false,
	} {
		if got := looksLikeLegacyJWT(tok); got != want {
			t.Errorf("looksLikeLegacyJWT(%q) = %v, want %v", tok, got, want)
		}
	}
}
