package store

// migrations are applied in order; migration i (0-based) brings the schema to
// version i+1, recorded in schema_version. Never edit a released migration:
// append a new one.
var migrations = []string{
	// 1: meta, credentials, execution history.
	`
CREATE TABLE schema_version (
	version    INTEGER PRIMARY KEY,
	applied_at TEXT NOT NULL
);

CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- data and token are AES-256-GCM blobs (secrets.Cipher) whose additional
-- data is the credential id and the column name; everything else is clear.
CREATE TABLE credentials (
	id             TEXT PRIMARY KEY,
	name           TEXT NOT NULL UNIQUE,
	type           TEXT NOT NULL,
	data           BLOB NOT NULL,
	token          BLOB,
	status         TEXT NOT NULL DEFAULT 'new',
	status_message TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL
);

CREATE TABLE executions (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	workflow_id   TEXT NOT NULL DEFAULT '',
	workflow_name TEXT NOT NULL DEFAULT '',
	workflow_file TEXT NOT NULL DEFAULT '',
	mode          TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL,
	started_at    TEXT NOT NULL,
	finished_at   TEXT,
	error         TEXT NOT NULL DEFAULT ''
);

CREATE TABLE node_runs (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	execution_id  INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
	node_name     TEXT NOT NULL,
	node_type     TEXT NOT NULL DEFAULT '',
	started_at    TEXT,
	finished_at   TEXT,
	status        TEXT NOT NULL DEFAULT '',
	items         TEXT,
	error         TEXT NOT NULL DEFAULT ''
);

CREATE INDEX node_runs_execution ON node_runs (execution_id, id);
`,
	// 2: the host process that runs an execution, to tell one whose host
	// died (killed, crashed) from one still running.
	`
ALTER TABLE executions ADD COLUMN host_pid INTEGER NOT NULL DEFAULT 0;
`,
}
