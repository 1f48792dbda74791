package zoomsandbox

import (
	"net/http"
	"strconv"
	"strings"
)

// userObject is the body of GET /users/{userId}.
type userObject struct {
	ID                 string   `json:"id"`
	FirstName          string   `json:"first_name"`
	LastName           string   `json:"last_name"`
	DisplayName        string   `json:"display_name"`
	Email              string   `json:"email"`
	Type               int      `json:"type"`
	RoleName           string   `json:"role_name"`
	RoleID             string   `json:"role_id"`
	PMI                int64    `json:"pmi"`
	UsePMI             bool     `json:"use_pmi"`
	PersonalMeetingURL string   `json:"personal_meeting_url"`
	Timezone           string   `json:"timezone"`
	Verified           int      `json:"verified"`
	Dept               string   `json:"dept"`
	CreatedAt          string   `json:"created_at"`
	UserCreatedAt      string   `json:"user_created_at"`
	LastLoginTime      string   `json:"last_login_time"`
	LastClientVersion  string   `json:"last_client_version"`
	Language           string   `json:"language"`
	PhoneNumber        string   `json:"phone_number"`
	Status             string   `json:"status"`
	AccountID          string   `json:"account_id"`
	AccountNumber      int64    `json:"account_number"`
	Cluster            string   `json:"cluster"`
	GroupIDs           []string `json:"group_ids"`
	IMGroupIDs         []string `json:"im_group_ids"`
	LoginTypes         []int    `json:"login_types"`
}

// lookupUser resolves a path user ID: "me", the user's ID or (case-insensitively)
// email. The sandbox plays a single user.
func (s *Server) lookupUser(id string) (User, bool) {
	if id == "me" || id == s.user.ID || strings.EqualFold(id, s.user.Email) {
		return s.user, true
	}
	return User{}, false
}

// isScheduleForUser reports whether schedule_for names a user of the account
// (by ID or email; "me" is not accepted there).
func (s *Server) isScheduleForUser(id string) bool {
	_, ok := s.lookupUser(id)
	return ok && id != "me"
}

func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request, _ *token) {
	id := r.PathValue("userId")
	u, ok := s.lookupUser(id)
	if !ok {
		writeAPIError(w, errUserNotFound(id))
		return
	}
	created := zoomTime(u.CreatedAt)
	writeJSON(w, http.StatusOK, userObject{
		ID:                 u.ID,
		FirstName:          u.FirstName,
		LastName:           u.LastName,
		DisplayName:        strings.TrimSpace(u.FirstName + " " + u.LastName),
		Email:              u.Email,
		Type:               u.Type,
		RoleName:           "Owner",
		RoleID:             "0",
		PMI:                u.PMI,
		PersonalMeetingURL: s.baseURL(r) + "/j/" + strconv.FormatInt(u.PMI, 10),
		Timezone:           u.Timezone,
		Verified:           1,
		CreatedAt:          created,
		UserCreatedAt:      created,
		LastLoginTime:      created,
		LastClientVersion:  "sandbox",
		Language:           "en-US",
		Status:             "active",
		AccountID:          u.AccountID,
		AccountNumber:      10000001,
		Cluster:            "sandbox",
		GroupIDs:           []string{},
		IMGroupIDs:         []string{},
		LoginTypes:         []int{100},
	})
}
