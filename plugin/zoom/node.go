package zoom

import (
	"context"
	"encoding/json"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// NodeName is the node type's short name; NodeAlias the n8n type it answers to.
const (
	NodeName  = "zoom"
	NodeAlias = "n8n-nodes-base.zoom"
)

// Values of the authentication parameter.
const (
	authAccessToken = "accessToken"
	authOAuth2      = "oAuth2"
	authS2S         = "serverToServerOAuth"
)

// Operations of the meeting resource.
const (
	opCreate = "create"
	opDelete = "delete"
	opGet    = "get"
	opGetAll = "getAll"
	opUpdate = "update"
)

// loadTimezones is the load-options method of timeZone.
const loadTimezones = "getTimezones"

// cond is one display condition.
type cond struct {
	property string
	values   []any
}

// show builds DisplayOptions that hold when every condition holds.
func show(cs ...cond) *sdk.DisplayOptions {
	d := &sdk.DisplayOptions{}
	for _, c := range cs {
		d.Show = append(d.Show, sdk.Condition{Property: c.property, Values: sdk.JSONValues(c.values...)})
	}
	return d
}

func forOperation(op string) *sdk.DisplayOptions {
	return show(cond{"resource", []any{"meeting"}}, cond{"operation", []any{op}})
}

func opt(name string, value any, description string) sdk.Option {
	return sdk.Option{Name: name, Value: sdk.JSON(value), Description: description}
}

func f64(v float64) *float64 { return &v }

// nodeType describes the zoom node: n8n's Zoom node version 1, parameter for
// parameter, plus the serverToServerOAuth authentication.
func nodeType() sdk.NodeType {
	props := []sdk.Property{
		{
			Name: "authentication", DisplayName: "Authentication", Type: sdk.TypeOptions, Default: sdk.JSON(authAccessToken),
			Options: []sdk.Option{
				opt("Access Token", authAccessToken, "A static token (Zoom JWT apps are retired)"),
				opt("OAuth2", authOAuth2, "A Zoom General app: a user signs in"),
				opt("Server-to-Server OAuth", authS2S, "A Zoom Server-to-Server OAuth app (recommended for automation)"),
			},
		},
		{
			Name: "resource", DisplayName: "Resource", Type: sdk.TypeOptions, Default: sdk.JSON("meeting"), NoDataExpression: true,
			Options: []sdk.Option{opt("Meeting", "meeting", "")},
		},
		{
			Name: "operation", DisplayName: "Operation", Type: sdk.TypeOptions, Default: sdk.JSON(opCreate), NoDataExpression: true,
			DisplayOptions: show(cond{"resource", []any{"meeting"}}),
			Options: []sdk.Option{
				{Name: "Create", Value: sdk.JSON(opCreate), Description: "Create a meeting", Action: "Create a meeting"},
				{Name: "Delete", Value: sdk.JSON(opDelete), Description: "Delete a meeting", Action: "Delete a meeting"},
				{Name: "Get", Value: sdk.JSON(opGet), Description: "Retrieve a meeting", Action: "Get a meeting"},
				{Name: "Get Many", Value: sdk.JSON(opGetAll), Description: "Retrieve many meetings", Action: "Get many meetings"},
				{Name: "Update", Value: sdk.JSON(opUpdate), Description: "Update a meeting", Action: "Update a meeting"},
			},
		},

		// create
		{Name: "topic", DisplayName: "Topic", Type: sdk.TypeString, Default: sdk.JSON(""), Description: "Topic of the meeting", DisplayOptions: forOperation(opCreate)},
		{
			Name: "additionalFields", DisplayName: "Additional Fields", Type: sdk.TypeCollection, Default: sdk.JSON(map[string]any{}),
			Placeholder: "Add Field", DisplayOptions: forOperation(opCreate), Children: meetingFieldProperties(false),
		},

		// get
		meetingIDProperty(opGet),
		{
			Name: "additionalFields", DisplayName: "Additional Fields", Type: sdk.TypeCollection, Default: sdk.JSON(map[string]any{}),
			Placeholder: "Add Field", DisplayOptions: forOperation(opGet),
			Children: []sdk.Property{
				{Name: "occurrenceId", DisplayName: "Occurrence ID", Type: sdk.TypeString, Default: sdk.JSON(""), Description: "To view meeting details of a particular occurrence of the recurring meeting"},
				{Name: "showPreviousOccurrences", DisplayName: "Show Previous Occurrences", Type: sdk.TypeBoolean, Default: sdk.JSON(false), Description: "Whether to view meeting details of all previous occurrences of the recurring meeting"},
			},
		},

		// getAll
		{Name: "returnAll", DisplayName: "Return All", Type: sdk.TypeBoolean, Default: sdk.JSON(false), Description: "Whether to return all results or only up to a given limit", DisplayOptions: forOperation(opGetAll)},
		{
			Name: "limit", DisplayName: "Limit", Type: sdk.TypeNumber, Default: sdk.JSON(30), MinValue: f64(1), MaxValue: f64(300),
			Description:    "Max number of results to return",
			DisplayOptions: show(cond{"resource", []any{"meeting"}}, cond{"operation", []any{opGetAll}}, cond{"returnAll", []any{false}}),
		},
		{
			Name: "filters", DisplayName: "Filters", Type: sdk.TypeCollection, Default: sdk.JSON(map[string]any{}), Placeholder: "Add Filter",
			DisplayOptions: forOperation(opGetAll),
			Children: []sdk.Property{{
				Name: "type", DisplayName: "Type", Type: sdk.TypeOptions, Default: sdk.JSON("live"), Description: "Meeting type",
				Options: []sdk.Option{
					opt("Scheduled", "scheduled", "This includes all valid past meetings, live meetings and upcoming scheduled meetings"),
					opt("Live", "live", "All the ongoing meetings"),
					opt("Upcoming", "upcoming", "All upcoming meetings including live meetings"),
				},
			}},
		},

		// delete
		meetingIDProperty(opDelete),
		{
			Name: "additionalFields", DisplayName: "Additional Fields", Type: sdk.TypeCollection, Default: sdk.JSON(map[string]any{}),
			Placeholder: "Add Field", DisplayOptions: forOperation(opDelete),
			Children: []sdk.Property{
				{Name: "occurrenceId", DisplayName: "Occurrence ID", Type: sdk.TypeString, Default: sdk.JSON(""), Description: "Meeting occurrence ID: delete only this occurrence (without it, a recurring meeting is deleted with every occurrence)"},
				{Name: "scheduleForReminder", DisplayName: "Schedule Reminder", Type: sdk.TypeBoolean, Default: sdk.JSON(false), Description: "Whether to notify hosts and alternative hosts about the meeting cancellation via email"},
			},
		},

		// update
		meetingIDProperty(opUpdate),
		{
			Name: "updateFields", DisplayName: "Update Fields", Type: sdk.TypeCollection, Default: sdk.JSON(map[string]any{}),
			Placeholder: "Add Field", DisplayOptions: forOperation(opUpdate), Children: meetingFieldProperties(true),
		},
	}
	return sdk.NodeType{
		Name:             NodeName,
		Aliases:          []string{NodeAlias},
		DisplayName:      "Zoom",
		Description:      "Consume Zoom API",
		Versions:         []float64{1},
		Subtitle:         `={{$parameter["operation"] + ": " + $parameter["resource"]}}`,
		Group:            []string{"input"},
		DocumentationURL: "https://docs.n8n.io/integrations/builtin/app-nodes/n8n-nodes-base.zoom/",
		Icon:             "file:zoom.svg",
		DefaultName:      "Zoom",
		Inputs:           []string{"main"},
		Outputs:          []string{"main"},
		Credentials: []sdk.NodeCredential{
			{Name: CredJWT, Required: true, DisplayOptions: sdk.ShowWhen("authentication", authAccessToken)},
			{Name: CredOAuth2, Required: true, DisplayOptions: sdk.ShowWhen("authentication", authOAuth2)},
			{Name: CredS2S, Required: true, DisplayOptions: sdk.ShowWhen("authentication", authS2S)},
		},
		Properties: props,
	}
}

func meetingIDProperty(op string) sdk.Property {
	return sdk.Property{
		Name: "meetingId", DisplayName: "ID", Type: sdk.TypeString, Default: sdk.JSON(""), Required: true,
		Description: "Meeting ID (digits, e.g. 85746065432)", DisplayOptions: forOperation(op),
	}
}

// meetingFieldProperties are create's additionalFields and, with topic,
// update's updateFields (alphabetical, as n8n shows them).
func meetingFieldProperties(withTopic bool) []sdk.Property {
	ps := []sdk.Property{
		{Name: "agenda", DisplayName: "Agenda", Type: sdk.TypeString, Default: sdk.JSON(""), Description: "Meeting agenda"},
		{Name: "duration", DisplayName: "Duration", Type: sdk.TypeNumber, Default: sdk.JSON(0), MinValue: f64(0), Description: "Meeting duration (minutes)"},
		{Name: "password", DisplayName: "Password", Type: sdk.TypeString, Default: sdk.JSON(""), Secret: true, MaxLength: 10,
			Description: "Password to join the meeting with maximum 10 characters"},
		{Name: "scheduleFor", DisplayName: "Schedule For", Type: sdk.TypeString, Default: sdk.JSON(""), Description: "Schedule meeting for someone else from your account, provide their email ID"},
		{
			Name: "settings", DisplayName: "Settings", Type: sdk.TypeCollection, Default: sdk.JSON(map[string]any{}), Placeholder: "Add Setting",
			Children: settingsProperties(),
		},
		{Name: "startTime", DisplayName: "Start Time", Type: sdk.TypeDateTime, Default: sdk.JSON(""),
			Description: "Start time should be used only for scheduled or recurring meetings with fixed time. With an offset or Z it is converted to the chosen time zone"},
		{Name: "timeZone", DisplayName: "Timezone Name or ID", Type: sdk.TypeOptions, Default: sdk.JSON(""), LoadOptionsMethod: loadTimezones,
			Description: "The meeting's time zone (IANA ID, e.g. Europe/Berlin); a start time with an offset is converted to its wall clock. Choose from the list, or specify an ID using an expression"},
	}
	if withTopic {
		ps = append(ps, sdk.Property{Name: "topic", DisplayName: "Topic", Type: sdk.TypeString, Default: sdk.JSON(""), Description: "Meeting topic"})
	}
	ps = append(ps, sdk.Property{
		Name: "type", DisplayName: "Type", Type: sdk.TypeOptions, Default: sdk.JSON(2), Description: "Meeting type",
		Options: []sdk.Option{
			opt("Instant Meeting", 1, ""),
			opt("Scheduled Meeting", 2, ""),
			opt("Recurring Meeting with No Fixed Time", 3, ""),
			opt("Recurring Meeting with Fixed Time", 8, ""),
		},
	})
	return ps
}

func settingsProperties() []sdk.Property {
	boolean := func(name, display, description string) sdk.Property {
		return sdk.Property{Name: name, DisplayName: display, Type: sdk.TypeBoolean, Default: sdk.JSON(false), Description: description}
	}
	return []sdk.Property{
		{
			Name: "audio", DisplayName: "Audio", Type: sdk.TypeOptions, Default: sdk.JSON("both"), Description: "Determine how participants can join audio portion of the meeting",
			Options: []sdk.Option{
				opt("Both Telephony and VoiP", "both", ""),
				opt("Telephony", "telephony", ""),
				opt("VOIP", "voip", ""),
			},
		},
		{Name: "alternativeHosts", DisplayName: "Alternative Hosts", Type: sdk.TypeString, Default: sdk.JSON(""), Description: "Alternative hosts email IDs, separated by semicolons"},
		{
			Name: "autoRecording", DisplayName: "Auto Recording", Type: sdk.TypeOptions, Default: sdk.JSON("none"),
			Options: []sdk.Option{opt("Record on Local", "local", ""), opt("Record on Cloud", "cloud", ""), opt("Disabled", "none", "")},
		},
		boolean("cnMeeting", "Host Meeting in China", "Whether to host the meeting in China"),
		boolean("inMeeting", "Host Meeting in India", "Whether to host the meeting in India"),
		boolean("hostVideo", "Host Video", "Whether to start video when host joins the meeting"),
		boolean("joinBeforeHost", "Join Before Host", "Whether to allow participants to join the meeting before host starts it"),
		boolean("muteUponEntry", "Muting Upon Entry", "Whether to mute participants upon entry"),
		boolean("participantVideo", "Participant Video", "Whether to start video when participant joins the meeting"),
		{
			Name: "registrationType", DisplayName: "Registration Type", Type: sdk.TypeOptions, Default: sdk.JSON(1), Description: "Registration type. Used for recurring meetings with fixed time only",
			Options: []sdk.Option{
				opt("Attendees register once and can attend any of the occurrences", 1, ""),
				opt("Attendees need to register for every occurrence", 2, ""),
				opt("Attendees register once and can choose one or more occurrences to attend", 3, ""),
			},
		},
		boolean("watermark", "Watermark", "Whether to add a watermark when viewing a shared screen"),
	}
}

// getTimezones lists every IANA time zone, name and value both the zone ID.
func getTimezones(context.Context, *sdk.LoadOptionsRequest) ([]sdk.Option, error) {
	out := make([]sdk.Option, len(timezoneNames))
	for i, n := range timezoneNames {
		v, _ := json.Marshal(n)
		out[i] = sdk.Option{Name: n, Value: v}
	}
	return out, nil
}
