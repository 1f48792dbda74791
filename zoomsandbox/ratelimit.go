package zoomsandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// qpsWindow counts the requests of one rate-limit label in one clock second.
type qpsWindow struct {
	second time.Time
	count  int
}

// takeQPS counts a request against its label's per-second limit. When the
// limit is on, it sets X-RateLimit-Limit/-Remaining on the response and
// returns the 429 once the second's budget is spent.
func (s *Server) takeQPS(w http.ResponseWriter, label string) *apiError {
	limit := s.cfg.RateLimitPerSecond
	if limit <= 0 {
		return nil
	}
	sec := s.now().Truncate(time.Second)
	s.mu.Lock()
	win := s.qps[label]
	if win == nil || !win.second.Equal(sec) {
		win = &qpsWindow{second: sec}
		s.qps[label] = win
	}
	over := win.count >= limit
	if !over {
		win.count++
	} else {
		s.stats.RateLimited++
	}
	remaining := limit - win.count
	s.mu.Unlock()
	if over {
		return &apiError{Status: http.StatusTooManyRequests, Code: 429,
			Message: "You have reached the maximum per-second rate limit for this API. Try again later.",
			Header: http.Header{
				"X-Ratelimit-Category":  {label},
				"X-Ratelimit-Type":      {"QPS"},
				"X-Ratelimit-Limit":     {strconv.Itoa(limit)},
				"X-Ratelimit-Remaining": {"0"},
				"Retry-After":           {"1"},
			}}
	}
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	return nil
}

// takeMeetingWrite counts a meeting create or update against the host's
// daily budget (reset at 00:00 UTC). The 429 carries the headers Zoom was
// seen to send for this limit: category, limit and remaining.
func (s *Server) takeMeetingWrite(hostID, label string) *apiError {
	limit := s.cfg.DailyMeetingWrites
	if limit < 0 {
		return nil
	}
	key := hostID + "/" + s.now().UTC().Format(time.DateOnly)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writes[key] >= limit {
		s.stats.RateLimited++
		return &apiError{Status: http.StatusTooManyRequests, Code: 429,
			Message: fmt.Sprintf("You have exceeded the daily rate limit (%d) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00.", limit),
			Header: http.Header{
				"X-Ratelimit-Category":  {label},
				"X-Ratelimit-Limit":     {strconv.Itoa(limit)},
				"X-Ratelimit-Remaining": {"0"},
			}}
	}
	s.writes[key]++
	return nil
}
