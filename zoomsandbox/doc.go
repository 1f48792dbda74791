// Package zoomsandbox is a local stand-in for Zoom's OAuth server and the
// Meetings part of Zoom's REST API v2, served as an [http.Handler].
//
// It follows the facts collected in shared/reference/zoom-api.md: the OAuth
// authorization-code (with PKCE), refresh-token (with rotation) and
// Server-to-Server account_credentials grants, token revocation, Bearer-only
// API authentication, classic and granular scopes, the users/me endpoint,
// meeting create/get/list/update/delete with Zoom's error shapes, paging
// tokens, rate-limit headers and the per-host daily create/update limit.
//
// Everything lives in memory and is safe for concurrent use. A Server also
// offers test controls (fault injection, a movable clock, request recording,
// token minting, counters), both as Go methods and as JSON endpoints under
// /_sandbox/. The nodeplug-zoom-sandbox command serves it on a local port.
//
// Behaviours the reference marks as uncertain are set in [Quirks]; the zero
// value picks the stricter reading.
package zoomsandbox

import (
	// The sandbox resolves IANA zone names on any machine, with or without
	// a system zoneinfo database.
	_ "time/tzdata"
)
