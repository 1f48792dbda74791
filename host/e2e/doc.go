// Package e2e holds nodeplug's end-to-end tests (package e2e_test): they
// build the real binaries (nodeplug, the nodeplug-zoom plugin and the Zoom
// sandbox), run them as subprocesses against a sandbox on a local port, with
// a SQLite file per test, real HTTP and the real OAuth redirect flow, and
// check what a user sees: exit codes, stdout, stderr, the execution history,
// what the sandbox received, and that no secret leaks into the database,
// logs, process arguments or the plugin's environment.
//
// The package has no code of its own.
package e2e
