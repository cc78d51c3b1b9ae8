-- Access (access/): local users, their browser sessions and API tokens,
-- share links, note and folder permissions, and the audit log. Secrets
-- (passwords, session ids, tokens) are stored only as hashes.

CREATE TABLE users (
	id            TEXT    PRIMARY KEY,
	name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	role          TEXT    NOT NULL,                -- 'admin' or 'member'
	password_hash TEXT    NOT NULL,                -- argon2id, PHC string; '' for no password login
	created_ms    INTEGER NOT NULL,
	-- A deleted account keeps its row, so its name is never given to
	-- someone else, who would inherit the notes that name it.
	deleted_ms    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE browser_sessions (
	id_hash    TEXT    PRIMARY KEY,                -- SHA-256 of the cookie's random id
	user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	via        TEXT    NOT NULL,                   -- 'password' or 'startup-token'
	token_tag  TEXT    NOT NULL DEFAULT '',        -- for 'startup-token': which token made it
	created_ms INTEGER NOT NULL,
	expires_ms INTEGER NOT NULL
);

CREATE TABLE api_tokens (
	id           TEXT    PRIMARY KEY,
	user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	hash         TEXT    NOT NULL UNIQUE,          -- SHA-256 of the token
	created_ms   INTEGER NOT NULL,
	last_used_ms INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE shares (
	id           TEXT    PRIMARY KEY,
	note_id      TEXT    NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
	paragraph_id TEXT    NOT NULL DEFAULT '',      -- '' for the whole note
	scope        TEXT    NOT NULL,                 -- 'view', 'run' or 'edit'
	hash         TEXT    NOT NULL UNIQUE,          -- SHA-256 of the token
	created_by   TEXT    NOT NULL,                 -- user name
	created_ms   INTEGER NOT NULL,
	expires_ms   INTEGER NOT NULL DEFAULT 0,       -- 0: never
	last_used_ms INTEGER NOT NULL DEFAULT 0,
	revoked_ms   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX shares_note ON shares (note_id);

-- A note without a row is the admins' alone (one being created, until its
-- creator's permissions are stored).
CREATE TABLE note_permissions (
	note_id TEXT PRIMARY KEY REFERENCES notes (id) ON DELETE CASCADE,
	body    TEXT NOT NULL                          -- JSON {"owners","writers","runners","readers"}
);

-- Notes from before permissions: Zeppelin's empty lists, every signed-in
-- user, as when there was one token for everything.
INSERT INTO note_permissions (note_id, body)
	SELECT id, '{"owners":[],"writers":[],"runners":[],"readers":[]}' FROM notes;

-- Defaults for notes created under a folder ("/team/x"), nearest first.
CREATE TABLE folder_permissions (
	path TEXT PRIMARY KEY,
	body TEXT NOT NULL
);

CREATE TABLE audit (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	at_ms   INTEGER NOT NULL,
	actor   TEXT    NOT NULL,                      -- user name, or 'link:<share id>'
	via     TEXT    NOT NULL,
	action  TEXT    NOT NULL,
	note_id TEXT    NOT NULL DEFAULT '',
	detail  TEXT    NOT NULL DEFAULT ''
);
