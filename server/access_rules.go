package server

import (
	"github.com/eddy-notebooks/eddy/access"
)

// requirement is what a route requires of its principal.
type requirement int

const (
	needPublic      requirement = iota + 1 // anyone, no credential
	needAnyone                             // any principal: a user or a link
	needSignedIn                           // a user (never a link)
	needAdmin                              // an admin user
	needNote                               // Level on the route's :noteId (a link may qualify)
	needApp                                // Level on the note of the route's :applicationId
	needUserAndNote                        // a user; the handler checks the note its body, session or link names
)

// rule is a route's access rule.
type rule struct {
	need  requirement
	level access.Level
	// paragraphView marks a note-level read whose handler shows a
	// paragraph link only its paragraph, so such a link may use it.
	paragraphView bool
	// audit names the action recorded when the request succeeds.
	audit string
}

func onNote(l access.Level) rule { return rule{need: needNote, level: l} }
func onApp(l access.Level) rule  { return rule{need: needApp, level: l} }

// routeRules is the one table of who may call which API route, keyed by
// method and echo route path. A route without an entry is refused (and
// the route matrix test fails), so a new route cannot be open by mistake.
var routeRules = map[string]rule{
	// Notes (Zeppelin's REST API).
	"GET /api/notebook":                                                {need: needSignedIn}, // lists only readable notes
	"POST /api/notebook":                                               {need: needSignedIn},
	"POST /api/notebook/import":                                        {need: needSignedIn},
	"GET /api/notebook/export/:noteId":                                 onNote(access.Read),
	"GET /api/notebook/:noteId":                                        {need: needNote, level: access.Read, paragraphView: true},
	"POST /api/notebook/:noteId":                                       {need: needUserAndNote}, // clone: read on the source
	"DELETE /api/notebook/:noteId":                                     onNote(access.Own),
	"PUT /api/notebook/:noteId/rename":                                 onNote(access.Own),
	"PUT /api/notebook/:noteId/params":                                 onNote(access.Run),
	"PUT /api/notebook/:noteId/clear":                                  onNote(access.Write),
	"POST /api/notebook/:noteId/paragraph":                             onNote(access.Write),
	"GET /api/notebook/:noteId/paragraph/:paragraphId":                 onNote(access.Read),
	"PUT /api/notebook/:noteId/paragraph/:paragraphId":                 onNote(access.Write),
	"DELETE /api/notebook/:noteId/paragraph/:paragraphId":              onNote(access.Write),
	"PUT /api/notebook/:noteId/paragraph/:paragraphId/config":          onNote(access.Write),
	"POST /api/notebook/:noteId/paragraph/:paragraphId/move/:newIndex": onNote(access.Write),
	"GET /api/notebook/:noteId/revision":                               onNote(access.Read),
	"POST /api/notebook/:noteId/revision":                              onNote(access.Write),
	"GET /api/notebook/:noteId/revision/:revisionId":                   onNote(access.Read),
	"PUT /api/notebook/:noteId/revision/:revisionId":                   onNote(access.Write),
	"GET /api/notebook/:noteId/permissions":                            onNote(access.Read),
	"PUT /api/notebook/:noteId/permissions":                            {need: needNote, level: access.Own, audit: "permissions-changed"},

	// Runs.
	"POST /api/notebook/run/:noteId/:paragraphId":   {need: needNote, level: access.Run, audit: "run"},
	"POST /api/notebook/job/:noteId/:paragraphId":   {need: needNote, level: access.Run, audit: "run"},
	"GET /api/notebook/job/:noteId/:paragraphId":    onNote(access.Read),
	"DELETE /api/notebook/job/:noteId/:paragraphId": {need: needNote, level: access.Run, audit: "cancel"},
	"POST /api/notebook/job/:noteId":                {need: needNote, level: access.Run, audit: "run-all"},
	"GET /api/notebook/job/:noteId":                 onNote(access.Read),
	"DELETE /api/notebook/job/:noteId":              {need: needNote, level: access.Run, audit: "cancel"},

	// Eddy's note routes.
	"PUT /api/v1/notebook/:noteId/paragraph/:paragraphId/clear":       onNote(access.Write),
	"GET /api/v1/notebook/:noteId/paragraph/:paragraphId/changelog":   onNote(access.Read),
	"GET /api/v1/notebook/:noteId/paragraph/:paragraphId/inspect":     onNote(access.Read),
	"POST /api/v1/notebook/:noteId/complete":                          onNote(access.Write),
	"GET /api/v1/notebook/:noteId/catalog":                            onNote(access.Write),
	"GET /api/v1/notebook/:noteId/catalog/:catalog/:database/:object": onNote(access.Write),
	"GET /api/v1/notebook/:noteId/shares":                             onNote(access.Own),
	"POST /api/v1/notebook/:noteId/shares":                            {need: needNote, level: access.Own, audit: "share-created"},
	"DELETE /api/v1/shares/:shareId":                                  {need: needUserAndNote}, // owner of the link's note

	// The cluster, sessions and the catalog.
	"GET /api/v1/cluster":                            {need: needSignedIn},
	"GET /api/v1/openapi.json":                       {need: needSignedIn},
	"GET /api/v1/sessions":                           {need: needSignedIn},
	"POST /api/v1/sessions":                          {need: needUserAndNote}, // run on the note
	"GET /api/v1/sessions/:sessionId":                {need: needUserAndNote}, // read on the session's note
	"DELETE /api/v1/sessions/:sessionId":             {need: needUserAndNote}, // run on the session's note
	"GET /api/v1/usage":                              {need: needSignedIn},
	"GET /api/v1/catalog":                            {need: needSignedIn},
	"GET /api/v1/catalog/:catalog/:database/:object": {need: needSignedIn},
	"GET /api/v1/examples":                           {need: needSignedIn},
	"POST /api/v1/examples/:name":                    {need: needSignedIn},
	"GET /api/v1/connectors":                         {need: needSignedIn},
	"POST /api/v1/connectors":                        {need: needAdmin},

	// Applications: their note's permissions carry over.
	"GET /api/v1/applications":                                         {need: needSignedIn},
	"POST /api/v1/applications":                                        {need: needUserAndNote, audit: "application-create"}, // write on the note
	"POST /api/v1/applications/preview":                                {need: needUserAndNote},                              // read on the note
	"POST /api/v1/applications/apply":                                  {need: needAdmin, audit: "application-apply"},
	"GET /api/v1/applications/:applicationId":                          onApp(access.Read),
	"PUT /api/v1/applications/:applicationId":                          {need: needApp, level: access.Run, audit: "application-rescale"},
	"DELETE /api/v1/applications/:applicationId":                       {need: needApp, level: access.Own, audit: "application-delete"},
	"POST /api/v1/applications/:applicationId/start":                   {need: needApp, level: access.Run, audit: "application-start"},
	"POST /api/v1/applications/:applicationId/stop":                    {need: needApp, level: access.Run, audit: "application-stop"},
	"POST /api/v1/applications/:applicationId/update":                  {need: needApp, level: access.Write, audit: "application-update"}, // builds from the note
	"GET /api/v1/applications/:applicationId/snapshots":                onApp(access.Read),
	"POST /api/v1/applications/:applicationId/snapshots":               onApp(access.Run),
	"DELETE /api/v1/applications/:applicationId/snapshots/:snapshotId": onApp(access.Own),
	"GET /api/v1/applications/:applicationId/events":                   onApp(access.Read),
	"GET /api/v1/applications/:applicationId/versions":                 onApp(access.Read),
	"POST /api/v1/applications/:applicationId/versions":                onApp(access.Write),
	"GET /api/v1/applications/:applicationId/spec":                     onApp(access.Read),
	"GET /api/v1/applications/:applicationId/manifest":                 onApp(access.Read),

	// Who is asking, accounts, tokens, folders, audit.
	"POST /api/login":                 {need: needPublic},
	"POST /api/login/logout":          {need: needPublic},
	"GET /api/version":                {need: needPublic},
	"POST /api/v1/login":              {need: needPublic},
	"POST /api/v1/logout":             {need: needPublic},
	"GET /api/v1/me":                  {need: needAnyone},
	"GET /api/v1/users":               {need: needAdmin},
	"POST /api/v1/users":              {need: needAdmin, audit: "user-created"},
	"DELETE /api/v1/users/:userId":    {need: needAdmin, audit: "user-deleted"},
	"GET /api/v1/tokens":              {need: needSignedIn},
	"POST /api/v1/tokens":             {need: needSignedIn, audit: "token-created"},
	"DELETE /api/v1/tokens/:tokenId":  {need: needSignedIn, audit: "token-revoked"},
	"GET /api/v1/folders/permissions": {need: needSignedIn},
	"PUT /api/v1/folders/permissions": {need: needAdmin, audit: "permissions-changed"},
	"GET /api/v1/audit":               {need: needAdmin},
}
