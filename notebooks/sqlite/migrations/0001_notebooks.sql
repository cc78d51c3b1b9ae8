-- Notes, their paragraphs (one row each, so edits of different paragraphs
-- never overwrite one another) and revisions (whole-note snapshots).

CREATE TABLE notes (
	id         TEXT    NOT NULL PRIMARY KEY,
	path       TEXT    NOT NULL,             -- "/folder/name"; trash under "/~Trash"
	doc        TEXT    NOT NULL,             -- note-level Zeppelin JSON, without paragraphs, name, id and path
	created_at INTEGER NOT NULL,             -- Unix milliseconds
	updated_at INTEGER NOT NULL              -- Unix milliseconds of the latest change
);

CREATE INDEX notes_path ON notes (path);

CREATE TABLE paragraphs (
	note_id  TEXT    NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
	id       TEXT    NOT NULL,
	position INTEGER NOT NULL,               -- 0-based, dense within a note
	doc      TEXT    NOT NULL,               -- the paragraph's Zeppelin JSON
	PRIMARY KEY (note_id, id)
);

CREATE INDEX paragraphs_position ON paragraphs (note_id, position);

CREATE TABLE revisions (
	id         TEXT    NOT NULL PRIMARY KEY,
	note_id    TEXT    NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
	message    TEXT    NOT NULL,
	created_at INTEGER NOT NULL,             -- Unix milliseconds
	doc        TEXT    NOT NULL              -- the whole note as a .zpln document
);

CREATE INDEX revisions_note ON revisions (note_id, created_at);
