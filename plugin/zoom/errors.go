package zoom

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	"github.com/nodeplug/nodeplug/plugin/zoom/zoomapi"
)

// Diagnostic codes.
const (
	codeTokenExpired     = "zoom.token_expired"
	codeTokenInvalid     = "zoom.token_invalid"
	codeJWTRetired       = "zoom.jwt_retired"
	codeMissingScope     = "zoom.missing_scope"
	codeRefreshFailed    = "zoom.refresh_failed"
	codeForbidden        = "zoom.forbidden"
	codeMeetingNotFound  = "zoom.meeting_not_found"
	codeUserNotFound     = "zoom.user_not_found"
	codeNotFound         = "zoom.not_found"
	codeValidation       = "zoom.validation_failed"
	codeRejected         = "zoom.request_rejected"
	codeRateLimited      = "zoom.rate_limited"
	codeServerError      = "zoom.server_error"
	codeUnreachable      = "zoom.unreachable"
	codeCreateUncertain  = "zoom.create_outcome_unknown"
	codeCanceled         = "zoom.canceled"
	codeUnexpectedAnswer = "zoom.unexpected_response"
)

// callInfo says which call failed, for diagnostics.
type callInfo struct {
	// op is the node operation, or "test" for a credential test.
	op        string
	meetingID string
	// fields is the collection the call's fields came from:
	// additionalFields, updateFields or filters.
	fields string
	// scheduleFor is set when the call named another user.
	scheduleFor bool
}

// call runs fn with an API client for cred. When Zoom rejects the token
// (401) it asks the host for a fresh one once and repeats the same request;
// when Zoom throttles (429) and says to wait at most maxRetryWait, it waits
// with the injectable RetryWait and repeats, at most maxRateLimitRetries
// times. Both are safe for a create: Zoom refused those requests. Nothing
// else is retried: after a dropped connection, a timeout or a 5xx the
// request may have been carried out.
func (z *plug) call(ctx context.Context, cred *sdk.Credential, info callInfo, fn func(context.Context, *zoomapi.Client) error) error {
	refreshed := false
	throttled := 0
	for {
		if strings.TrimSpace(cred.AccessToken) == "" {
			if cred.Type == CredJWT || refreshed {
				return noTokenDiag(cred)
			}
			refreshed = true
			if err := cred.Refresh(ctx); err != nil {
				return refreshFailedDiag(cred, nil, err)
			}
			continue
		}
		api, err := z.newAPI(cred)
		if err != nil {
			return err
		}
		err = fn(ctx, api)
		if err == nil {
			return nil
		}
		var ae *zoomapi.Error
		if errors.As(err, &ae) {
			if ae.IsUnauthorized() && !ae.IsMissingScope() && !refreshed && cred.Type != CredJWT {
				refreshed = true
				z.logger.Debug("zoom rejected the access token; asking the host for a fresh one", "credential", cred.Name, "status", ae.Status, "code", ae.Code)
				if rerr := cred.Refresh(ctx); rerr != nil {
					return refreshFailedDiag(cred, ae, rerr)
				}
				continue
			}
			if ae.IsRateLimited() && throttled < maxRateLimitRetries {
				if d, ok := z.retryDelay(ae); ok && d <= maxRetryWait {
					throttled++
					z.logger.Debug("zoom throttled the call; waiting before retrying", "wait", d, "attempt", throttled)
					if werr := z.retryWait(ctx, d); werr != nil {
						return z.callDiag(werr, cred, info)
					}
					continue
				}
			}
		}
		return z.callDiag(err, cred, info)
	}
}

// retryDelay is how long Zoom asked to wait. Without Retry-After, a
// per-second (QPS) limit clears within a second; other limits are not
// waited for.
func (z *plug) retryDelay(e *zoomapi.Error) (time.Duration, bool) {
	if d, ok := e.Wait(z.now()); ok {
		return d, true
	}
	if strings.EqualFold(e.RateLimitType, "QPS") || strings.Contains(strings.ToLower(e.Message), "per-second") {
		return time.Second, true
	}
	return 0, false
}

// withCode sets a diagnostic's code and attribute.
func withCode(d *sdk.Diagnostic, code, attribute string) *sdk.Diagnostic {
	d.Code = code
	if attribute != "" {
		d.Attribute = sdk.ParsePath(attribute)
	}
	return d
}

// zoomSaid quotes Zoom's answer for a detail: HTTP status, code, message.
func zoomSaid(e *zoomapi.Error) string {
	s := fmt.Sprintf("Zoom answered HTTP %d", e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(", code %d", e.Code)
	}
	if e.Message != "" {
		s += fmt.Sprintf(" (%q)", clip(e.Message, 300))
	}
	return s
}

// callDiag turns a failed call into a diagnostic a user can act on.
func (z *plug) callDiag(err error, cred *sdk.Credential, info callInfo) *sdk.Diagnostic {
	var d *sdk.Diagnostic
	if errors.As(err, &d) {
		return sdk.AsDiagnostic(err)
	}
	var ae *zoomapi.Error
	if errors.As(err, &ae) {
		return apiErrorDiag(ae, cred, info, z.now())
	}
	if errors.Is(err, context.Canceled) {
		return withCode(sdk.Errorf(sdk.KindTransient, "Canceled", "%s", sentences("the run was canceled while calling Zoom", createNote(info, true))), codeCanceled, "")
	}
	var te *zoomapi.TransportError
	if errors.As(err, &te) {
		summary := fmt.Sprintf("Could not reach Zoom at %s", te.Host)
		cause := te.Err.Error()
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(cause, "Client.Timeout") {
			summary = fmt.Sprintf("Zoom at %s did not answer in time", te.Host)
		}
		code := codeUnreachable
		if info.op == opCreate && te.MayHaveReached {
			code = codeCreateUncertain
		}
		return withCode(sdk.Errorf(sdk.KindTransient, summary, "%s", sentences(fmt.Sprintf("%s %s failed: %s", te.Method, te.Path, cause),
			"This is usually temporary: retry later", createNote(info, te.MayHaveReached))), code, "")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return withCode(sdk.Errorf(sdk.KindTransient, "Timed out", "%s", sentences("the call to Zoom did not finish in time", createNote(info, true))), codeUnreachable, "")
	}
	return withCode(sdk.Errorf(sdk.KindSystem, "Unexpected answer from Zoom", "%v", err), codeUnexpectedAnswer, "")
}

// createNote warns, for a create whose request may have reached Zoom, that
// the meeting may exist: re-running blindly could duplicate it. It is a
// sentence for sentences, "" when it does not apply.
func createNote(info callInfo, mayHaveReached bool) string {
	if info.op != opCreate || !mayHaveReached {
		return ""
	}
	return "The request may have reached Zoom, so the meeting may have been created: check with the getAll operation " +
		"(or in Zoom) before re-running this item, to avoid a duplicate meeting"
}

// apiErrorDiag maps a Zoom error answer to a diagnostic.
func apiErrorDiag(e *zoomapi.Error, cred *sdk.Credential, info callInfo, now time.Time) *sdk.Diagnostic {
	switch {
	case e.IsMissingScope():
		return missingScopeDiag(e, cred)
	case e.IsUnauthorized():
		return authDiag(e, cred)
	case e.IsMeetingNotFound():
		return withCode(sdk.Errorf(sdk.KindNotFound, fmt.Sprintf("Meeting %s was not found", info.meetingID), "%s", sentences(zoomSaid(e),
			"Check meetingId: deleted and expired meetings are not found, and the meeting must belong to the credential's user or account")),
			codeMeetingNotFound, "meetingId")
	case e.Code == zoomapi.CodeUserNotFound:
		attr := ""
		if info.scheduleFor {
			attr = info.fields + ".scheduleFor"
		}
		return withCode(sdk.Errorf(sdk.KindNotFound, "Zoom user not found", "%s", sentences(zoomSaid(e),
			"Check scheduleFor (an email or user ID of your account) or that the credential's user still exists")), codeUserNotFound, attr)
	case e.IsRateLimited():
		return rateLimitDiag(e, now)
	case e.IsServerError():
		return withCode(sdk.Errorf(sdk.KindTransient, "Zoom failed to answer", "%s", sentences(fmt.Sprintf("%s to %s %s", zoomSaid(e), e.Method, e.Path),
			"This is usually temporary: retry later", createNote(info, true))), serverCode(info), "")
	case len(e.Fields) > 0 || e.Code == zoomapi.CodeValidation:
		return validationDiag(e, info)
	case e.Status == 403:
		return withCode(sdk.Errorf(sdk.KindAuth, "Zoom refused the call",
			"%s to %s %s: the credential's user or app lacks the permission; check the app's scopes and the user's role", zoomSaid(e), e.Method, e.Path), codeForbidden, "")
	case e.Status == 404:
		return withCode(sdk.Errorf(sdk.KindNotFound, "Not found", "%s", sentences(fmt.Sprintf("%s to %s %s", zoomSaid(e), e.Method, e.Path),
			"If the credential uses custom base URLs, check apiBaseUrl")), codeNotFound, "")
	case e.Code == zoomapi.CodeInvalidToken:
		return authDiag(e, cred)
	}
	return withCode(sdk.Errorf(sdk.KindConfig, "Zoom rejected the request", "%s to %s %s", zoomSaid(e), e.Method, e.Path), codeRejected, "")
}

func serverCode(info callInfo) string {
	if info.op == opCreate {
		return codeCreateUncertain
	}
	return codeServerError
}

// authDiag explains a rejected token; the advice depends on the type.
func authDiag(e *zoomapi.Error, cred *sdk.Credential) *sdk.Diagnostic {
	said := fmt.Sprintf("%s for credential %q", zoomSaid(e), cred.Name)
	switch {
	case cred.Type == CredJWT && e.IsExpiredToken() && !looksLikeLegacyJWT(cred.AccessToken):
		return withCode(sdk.Errorf(sdk.KindAuth, "The Zoom access token has expired", "%s", sentences(said,
			"A Zoom API (zoomApi) credential holds a static token that the host cannot refresh. Replace it with a fresh token ("+recreateCommands(cred)+
				") or, better, use a Zoom Server-to-Server OAuth API credential (zoomServerToServerOAuthApi), whose tokens the host renews")),
			codeTokenExpired, "")
	case cred.Type == CredJWT:
		return withCode(sdk.Errorf(sdk.KindAuth, "Zoom no longer accepts JWT app tokens", "%s", sentences(said, jwtRetirement)), codeJWTRetired, "")
	case e.IsExpiredToken():
		return withCode(sdk.Errorf(sdk.KindAuth, "The Zoom access token has expired", "%s", sentences(said, expiredAdvice(cred))), codeTokenExpired, "")
	}
	return withCode(sdk.Errorf(sdk.KindAuth, "Zoom rejected the access token", "%s", sentences(said,
		"The token was revoked or was not issued by Zoom", rejectedAdvice(cred),
		"With custom base URLs, check that apiBaseUrl belongs to the server that issued the token")),
		codeTokenInvalid, "")
}

// expiredAdvice says what to do about an expired token that the host did
// not manage to renew.
func expiredAdvice(cred *sdk.Credential) string {
	if cred.Type == CredS2S {
		return s2sRenewAdvice(cred)
	}
	return "The host refreshes expired tokens itself, so test the credential again (" + credCommand("test", cred.Name) +
		"); if it keeps failing, reconnect it (" + credCommand("connect", cred.Name) + ")"
}

// rejectedAdvice says how to get a token Zoom accepts.
func rejectedAdvice(cred *sdk.Credential) string {
	switch cred.Type {
	case CredS2S:
		return s2sRenewAdvice(cred)
	case CredJWT:
		return jwtRetirement
	}
	return "Reconnect the credential (" + credCommand("connect", cred.Name) + ")"
}

// s2sRenewAdvice is the advice for a Server-to-Server credential whose token
// Zoom refused: there is nothing to connect; the host fetches tokens itself.
func s2sRenewAdvice(cred *sdk.Credential) string {
	return sentences("The host fetches a new Server-to-Server token automatically (there is nothing to connect)",
		s2sCheckAdvice("If it keeps failing, check", cred))
}

// s2sCheckAdvice says what to check when a Server-to-Server credential keeps
// failing; lead starts the sentence ("Check", "If it keeps failing, check").
func s2sCheckAdvice(lead string, cred *sdk.Credential) string {
	return lead + " in the Zoom App Marketplace that the Server-to-Server OAuth app is activated and that the credential's " +
		"account ID, client ID and client secret are right; to change them, update the credential (" + recreateCommands(cred) + ")"
}

// missingScopeDiag lists the scopes Zoom says the token lacks.
func missingScopeDiag(e *zoomapi.Error, cred *sdk.Credential) *sdk.Diagnostic {
	scopes := e.MissingScopes()
	list := "the scopes named in Zoom's message"
	if len(scopes) > 0 {
		list = strings.Join(scopes, ", ")
	}
	var next string
	switch cred.Type {
	case CredS2S:
		next = "Add it to the app under Scopes in the Zoom App Marketplace; tokens issued after that carry it. Then test the credential (" +
			credCommand("test", cred.Name) + "): when Zoom rejects the current token, the host fetches a new one, and otherwise renews it within the hour"
	case CredJWT:
		next = sentences("The static token of a Zoom API (zoomApi) credential cannot gain scopes", jwtRetirement)
	default:
		next = "Add it to the app under Scopes in the Zoom App Marketplace, then reconnect (" + credCommand("connect", cred.Name) + ") so that the new token carries it"
	}
	return withCode(sdk.Errorf(sdk.KindAuth, "The Zoom token lacks a required scope", "%s",
		sentences(zoomSaid(e), "The endpoint needs one of: "+list, next)), codeMissingScope, "")
}

// refreshFailedDiag explains that the host could not refresh the token.
func refreshFailedDiag(cred *sdk.Credential, rejected *zoomapi.Error, err error) *sdk.Diagnostic {
	if errors.Is(err, sdk.ErrNoRefresher) && rejected != nil {
		d := authDiag(rejected, cred)
		d.Detail = sentences(d.Detail, "This host offers the plugin no token refresh, so it could not ask for a new token")
		return d
	}
	cause := err.Error()
	var hd *sdk.Diagnostic
	hostExplained := false
	if errors.As(err, &hd) && hd.Detail != "" {
		cause = hd.Detail
		// When the host already says what to run (e.g. reconnect), no
		// advice of ours goes on top of it.
		hostExplained = strings.Contains(hd.Detail, "nodeplug credentials ")
	}
	said := "The access token was empty"
	if rejected != nil {
		said = zoomSaid(rejected)
	}
	var next string
	switch {
	case hostExplained:
	case cred.Type == CredS2S:
		next = s2sCheckAdvice("Check", cred)
	case cred.Type == CredJWT:
		next = jwtRetirement
	default:
		next = "Reconnect the credential (" + credCommand("connect", cred.Name) + ")"
	}
	return withCode(sdk.Errorf(sdk.KindAuth, "Zoom rejected the token and the host could not refresh it", "%s",
		sentences(fmt.Sprintf("%s for credential %q, and asking the host for a fresh token failed: %s", said, cred.Name, cause), next)),
		codeRefreshFailed, "")
}

// rateLimitDiag says that Zoom throttled the call and when to retry.
func rateLimitDiag(e *zoomapi.Error, now time.Time) *sdk.Diagnostic {
	when := "Zoom did not say when to retry: per-second limits clear within seconds, daily limits reset at 00:00 UTC"
	if d, ok := e.Wait(now); ok {
		at := now.Add(d)
		if !e.RetryAt.IsZero() {
			at = e.RetryAt
		}
		when = fmt.Sprintf("retry after %s (in %s)", at.UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	var parts []string
	if e.RateLimitType != "" {
		parts = append(parts, "limit type "+e.RateLimitType)
	}
	if e.RateLimitCategory != "" {
		parts = append(parts, "category "+e.RateLimitCategory)
	}
	kind := ""
	if len(parts) > 0 {
		kind = " [" + strings.Join(parts, ", ") + "]"
	}
	return withCode(sdk.Errorf(sdk.KindRateLimited, "Zoom rate limit reached", "%s%s: %s", zoomSaid(e), kind, when), codeRateLimited, "")
}

// zoomSettingParams maps Zoom's settings keys to the node's parameters.
var zoomSettingParams = map[string]string{
	"audio":             "audio",
	"alternative_hosts": "alternativeHosts",
	"auto_recording":    "autoRecording",
	"cn_meeting":        "cnMeeting",
	"in_meeting":        "inMeeting",
	"host_video":        "hostVideo",
	"join_before_host":  "joinBeforeHost",
	"mute_upon_entry":   "muteUponEntry",
	"participant_video": "participantVideo",
	"registration_type": "registrationType",
	"watermark":         "watermark",
}

// zoomFieldParams maps Zoom's top-level body keys to the node's parameters.
var zoomFieldParams = map[string]string{
	"agenda":       "agenda",
	"duration":     "duration",
	"password":     "password",
	"schedule_for": "scheduleFor",
	"settings":     "settings",
	"start_time":   "startTime",
	"timezone":     "timeZone",
	"type":         "type",
	"topic":        "topic",
}

// paramPath maps a field Zoom rejected (e.g. settings.audio) back to the
// node parameter (e.g. additionalFields.settings.audio); "" when unknown.
func paramPath(field string, info callInfo) string {
	f := strings.TrimSpace(field)
	switch info.op {
	case opGetAll:
		switch f {
		case "type":
			return "filters.type"
		case "page_size":
			return "limit"
		}
		return ""
	case opGet, opDelete:
		switch f {
		case "occurrence_id":
			return "additionalFields.occurrenceId"
		case "meetingId", "meeting_id", "id":
			return "meetingId"
		}
		return ""
	}
	if s, ok := strings.CutPrefix(f, "settings."); ok {
		if p, ok := zoomSettingParams[s]; ok {
			return info.fields + ".settings." + p
		}
		return ""
	}
	if p, ok := zoomFieldParams[f]; ok {
		if p == "topic" && info.op == opCreate {
			return "topic"
		}
		return info.fields + "." + p
	}
	if p, ok := zoomSettingParams[f]; ok {
		return info.fields + ".settings." + p
	}
	return ""
}

// invalidParameter matches the parameter a code-300 answer without errors[]
// names, e.g. "Invalid parameter: occurrence_id.".
var invalidParameter = regexp.MustCompile(`(?i)\binvalid (?:parameter|field)s?\s*:\s*([A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_])`)

// validationDiag names every field Zoom rejected, as node parameters where
// the field maps to one. The sdk fails an item with one diagnostic, so all
// fields are listed in its detail and its attribute is the first field that
// maps to a parameter.
func validationDiag(e *zoomapi.Error, info callInfo) *sdk.Diagnostic {
	var parts []string
	seen := map[string]bool{}
	attr := ""
	for _, f := range e.Fields {
		field := clip(strings.TrimSpace(f.Field), 100)
		label := "a field Zoom did not name"
		if field != "" {
			label = "Zoom field " + field + " (not a node parameter)"
		}
		p := paramPath(field, info)
		if p != "" {
			label = fmt.Sprintf("%s (Zoom field %s)", p, field)
		}
		msg := strings.TrimRight(clip(strings.TrimSpace(f.Message), 200), ". ")
		if msg == "" {
			msg = "invalid"
		}
		part := label + ": " + msg
		if seen[part] {
			continue
		}
		seen[part] = true
		parts = append(parts, part)
		if attr == "" {
			attr = p
		}
	}
	switch len(parts) {
	case 0:
		detail := sentences(zoomSaid(e), "Check the node's parameters against Zoom's message and run again")
		if m := invalidParameter.FindStringSubmatch(e.Message); m != nil {
			if p := paramPath(m[1], info); p != "" {
				attr = p
				detail = sentences(zoomSaid(e), fmt.Sprintf("Zoom's %s is the parameter %s: correct it and run again", m[1], p))
			}
		}
		return withCode(sdk.Errorf(sdk.KindConfig, "Zoom rejected the request's values", "%s", detail), codeValidation, attr)
	case 1:
		return withCode(sdk.Errorf(sdk.KindConfig, "Zoom rejected 1 field", "%s",
			sentences(zoomSaid(e), "Rejected: "+parts[0], "Correct it and run again")), codeValidation, attr)
	}
	return withCode(sdk.Errorf(sdk.KindConfig, fmt.Sprintf("Zoom rejected %d fields", len(parts)), "%s",
		sentences(zoomSaid(e), "Rejected: "+strings.Join(parts, "; "), "Correct them and run again")), codeValidation, attr)
}

// shellQuote returns s as one word for a POSIX shell: unchanged when it
// holds only [A-Za-z0-9_./:=-], else in single quotes, where a single quote
// of s ends the quoting, is written backslash-escaped, and reopens it.
// Suggested commands embed credential names with it, so that they work when
// pasted.
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_./:=-", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// credCommand returns the command line "nodeplug credentials VERB NAME",
// ready to paste. A name that starts with "-" follows "--", so that it is
// not read as a flag.
func credCommand(verb, name string) string {
	if strings.HasPrefix(name, "-") {
		return "nodeplug credentials " + verb + " -- " + shellQuote(name)
	}
	return "nodeplug credentials " + verb + " " + shellQuote(name)
}

// recreateCommands returns the command that changes a credential's
// one of the same name and type (credentials cannot be edited in place).
func recreateCommands(cred *sdk.Credential) string {
	return credCommand("update", cred.Name)
}

// sentences joins parts into sentences separated by ". ", without doubled
// punctuation: a part's own final period is dropped before the separator,
// and empty parts are skipped. Like every diagnostic detail, the result
// has no final period. Parts must not end with a bare command line (one
// whose credential name could end in a period): put commands in
// parentheses.
func sentences(parts ...string) string {
	var out []string
	for _, p := range parts {
		p = strings.TrimSpace(p)
		p = strings.TrimRight(p, ". ")
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ". ")
}
