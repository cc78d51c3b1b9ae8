// Short names for the REST API's types. They are generated from
// server/openapi.json into gen/openapi.d.ts by `npm run generate`, which runs
// before every build, test and typecheck, so they cannot drift from the
// document; nothing here may restate a schema by hand.

import type { components, operations } from './gen/openapi';

type Schemas = components['schemas'];

/** Zeppelin's response envelope; on errors it also carries Eddy's error code and details. */
export type Envelope = Schemas['Envelope'];
/** The stable error codes of Envelope.code (and of websocket error replies). */
export type ErrorCode = NonNullable<Envelope['code']>;
/** Why a session or job was not admitted: needed, free and capacity in KPUs, and who holds them. */
export type CapacityRefusal = Schemas['CapacityRefusal'];
/** A note whose session holds KPUs, as a refusal names it. */
export type CapacityHolder = Schemas['CapacityHolder'];

export type Note = Schemas['Note'];
/** A note as GET /api/notebook lists it. */
export type NoteInfo = Schemas['NoteInfo'];
export type Paragraph = Schemas['Paragraph'];
export type ParagraphStatus = Paragraph['status'];
/** A paragraph's persisted output. */
export type ParagraphResult = Schemas['Result'];
/** One message of a paragraph's persisted output. */
export type ResultMsg = ParagraphResult['msg'][number];
export type NewNote = Schemas['NewNote'];
export type NewParagraph = Schemas['NewParagraph'];
export type UpdateParagraph = Schemas['UpdateParagraph'];
/** A saved version of a note: its id, message and time (seconds since the epoch). */
export type Revision = Schemas['Revision'];

export type ClusterStatus = Schemas['ClusterStatus'];
/** A live notebook session and its KPUs. */
export type Session = Schemas['Session'];
export type SessionJob = Schemas['SessionJob'];
/** The answer of GET /api/v1/sessions. */
export type SessionList = Schemas['SessionList'];
/** An example note that ships with Eddy (GET /api/v1/examples). */
export type Example = Schemas['Example'];
/** A connector or format jar on the local cluster's classpath (GET /api/v1/connectors). */
export type Connector = Schemas['Connector'];
/** A jar known to work with Eddy's Flink, to add by its Maven coordinates. */
export type ConnectorSuggestion = Schemas['ConnectorSuggestion'];
/** What the catalogs hold as a note sees them (GET /api/v1/notebook/{noteId}/catalog). */
export type CatalogTree = Schemas['CatalogTree'];
/** A table or view described: columns, key, watermarks, connector, options with secrets masked. */
export type CatalogObject = Schemas['CatalogObject'];

/** A note promoted to a long-running Flink job. */
export type Application = Schemas['Application'];
export type ApplicationStatus = Application['status'];
export type ApplicationTarget = Application['target'];
/** The answer of GET /api/v1/applications: the applications and their quotas. */
export type ApplicationList = Schemas['ApplicationList'];
export type Quotas = Schemas['Quotas'];
/** A paragraph a build left out of an application's script, and why. */
export type Exclusion = Schemas['Exclusion'];
/** A paragraph whose statements are in an application's script. */
export type Inclusion = Schemas['Inclusion'];
/** A form value a build wrote into an application's script. */
export type BakedForm = Schemas['BakedForm'];
/** An immutable, numbered build of an application's note. */
export type AppVersion = Schemas['Version'];
/** A savepoint of an application's job. */
export type Snapshot = Schemas['Snapshot'];
/** One entry of an application's timeline. */
export type AppEvent = Schemas['Event'];
/** What promoting a note would deploy (POST /api/v1/applications/preview). */
export type BuildPreview = Schemas['BuildPreview'];
/** Why a note cannot be built into an application: the paragraph at fault and the reason. */
export type BuildRefusal = Schemas['BuildRefusal'];
/** What a new compiled plan restores of the state of a job run from an old one, operator by operator. */
export type PlanCheck = Schemas['PlanCheck'];
/** One stateful node of a plan and whether its state is restored. */
export type OperatorCheck = Schemas['OperatorCheck'];
/** The details of a 409 from a deploy with state or an update that would lose state: the check (and an update's diff). */
export type StateRefusal = Schemas['StateRefusal'];
/** A note's running INSERT job, whose state a deploy with state takes over. */
export type StateSource = Schemas['StateSource'];
/** The body of POST /api/v1/applications/{id}/update. */
export type UpdateRequest = Schemas['UpdateRequest'];
/** What an update changes: the script diff and the state check. */
export type UpdateReport = Schemas['UpdateReport'];
/** The body of POST /api/v1/applications. */
export type NewApplication = operations['createApplication']['requestBody']['content']['application/json'];
/** Where a started application's state comes from. */
export type RestoreChoice = NonNullable<NonNullable<operations['startApplication']['requestBody']>['content']['application/json']['restore']>;
