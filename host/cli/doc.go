// Package cli is the nodeplug command line: plugins, describe, credentials,
// run and executions, in the style of gh and kubectl (tables by default,
// -o json for scripts, errors that say what to do).
//
// It composes the host's packages: plugins (the loader), secrets and store
// (encrypted credentials and execution history in SQLite), oauth (flows and
// the token manager) and workflow (n8n workflows). It never imports a
// plugin's own packages: integrations are reached through the protocol.
package cli
