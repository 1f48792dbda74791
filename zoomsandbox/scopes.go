package zoomsandbox

import (
	"net/http"
	"slices"
	"strings"
)

// scopeSet is what one endpoint accepts: any one of its classic scopes or any
// one of its granular scopes (reference §5.1).
type scopeSet struct {
	classic  []string
	granular []string
}

var (
	scopesGetUser = scopeSet{
		classic:  []string{"user:read", "user:read:admin"},
		granular: []string{"user:read:user", "user:read:user:admin"},
	}
	scopesListMeetings = scopeSet{
		classic:  []string{"meeting:read", "meeting:read:admin"},
		granular: []string{"meeting:read:list_meetings", "meeting:read:list_meetings:admin"},
	}
	scopesCreateMeeting = scopeSet{
		classic:  []string{"meeting:write", "meeting:write:admin"},
		granular: []string{"meeting:write:meeting", "meeting:write:meeting:admin"},
	}
	scopesGetMeeting = scopeSet{
		classic:  []string{"meeting:read", "meeting:read:admin"},
		granular: []string{"meeting:read:meeting", "meeting:read:meeting:admin"},
	}
	scopesUpdateMeeting = scopeSet{
		classic:  []string{"meeting:write", "meeting:write:admin"},
		granular: []string{"meeting:update:meeting", "meeting:update:meeting:admin"},
	}
	scopesDeleteMeeting = scopeSet{
		classic:  []string{"meeting:write", "meeting:write:admin"},
		granular: []string{"meeting:delete:meeting", "meeting:delete:meeting:admin"},
	}
)

// check returns nil when have holds one accepted scope, else the 4711 error
// listing the scopes the endpoint needs, in the style (classic or granular)
// of the token's own scopes.
func (ss scopeSet) check(have []string, status int) *apiError {
	for _, h := range have {
		if slices.Contains(ss.classic, h) || slices.Contains(ss.granular, h) {
			return nil
		}
	}
	need := ss.classic
	if slices.ContainsFunc(have, isGranularScope) {
		need = ss.granular
	}
	return &apiError{Status: status, Code: 4711,
		Message: "Invalid access token, does not contain scopes:[" + strings.Join(need, ", ") + "]."}
}

// isGranularScope tells granular names (service:action:data[:admin]) from
// classic ones (resource:action[:admin|:master]).
func isGranularScope(sc string) bool {
	parts := strings.Split(sc, ":")
	return len(parts) >= 3 && parts[2] != "admin" && parts[2] != "master"
}

// Rate-limit labels of the endpoints.
const (
	labelLight  = "Light"
	labelMedium = "Medium"
)

// apiHandler serves an authenticated, authorized API request.
type apiHandler func(w http.ResponseWriter, r *http.Request, t *token)

// api registers an API endpoint behind the common checks: rate-limit label
// header, Bearer authentication, scopes, per-second limit.
func (s *Server) api(m *http.ServeMux, pattern, label string, scopes scopeSet, h apiHandler) {
	m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Category", label)
		t, aerr := s.authenticate(r)
		if aerr == nil {
			aerr = scopes.check(t.grant.scopes, s.quirks.ScopeErrorStatus)
		}
		if aerr == nil {
			aerr = s.takeQPS(w, label)
		}
		if aerr != nil {
			writeAPIError(w, aerr)
			return
		}
		h(w, r, t)
	})
}
