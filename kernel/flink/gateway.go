package flink

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// APIVersion is the SQL Gateway REST API version Eddy speaks. v3 is served by
// Flink 1.20 and every 2.x release and has everything a notebook needs.
const APIVersion = "v3"

// Gateway is a client of the Flink SQL Gateway REST API. It is safe for
// concurrent use; the gateway itself serialises statement execution within a
// session, and a single operation's results must be fetched by one caller.
type Gateway struct {
	rc restClient
}

// NewGateway returns a client for the gateway at baseURL (e.g.
// http://127.0.0.1:8083). A nil hc gets a client with a 60 s timeout.
func NewGateway(baseURL string, hc *http.Client) *Gateway {
	return &Gateway{rc: newRESTClient(ServiceGateway, baseURL, hc)}
}

// URL returns the gateway's base URL.
func (g *Gateway) URL() string { return g.rc.base }

// Info is what the gateway says of itself.
type Info struct {
	Version string `json:"version"` // the Flink version
}

// Info returns the gateway's Flink version.
func (g *Gateway) Info(ctx context.Context) (Info, error) {
	var info Info
	err := g.rc.do(ctx, "gateway info", http.MethodGet, "/"+APIVersion+"/info", nil, &info)
	return info, err
}

// OpenSession opens a session with the given name and configuration and
// returns its handle. Everything a session holds (catalogs, temporary
// tables, SETs) lives only in the gateway's memory.
func (g *Gateway) OpenSession(ctx context.Context, name string, props map[string]string) (string, error) {
	in := map[string]any{}
	if name != "" {
		in["sessionName"] = name
	}
	if len(props) > 0 {
		in["properties"] = props
	}
	var out struct {
		SessionHandle string `json:"sessionHandle"`
	}
	if err := g.rc.do(ctx, "open session", http.MethodPost, "/"+APIVersion+"/sessions", in, &out); err != nil {
		return "", err
	}
	return out.SessionHandle, nil
}

// CloseSession closes a session; the gateway closes its operations, which
// cancels their SELECT jobs (detached INSERT jobs keep running).
func (g *Gateway) CloseSession(ctx context.Context, session string) error {
	return g.rc.do(ctx, "close session", http.MethodDelete, g.sessionPath(session), nil, nil)
}

// Heartbeat keeps a session from expiring.
func (g *Gateway) Heartbeat(ctx context.Context, session string) error {
	return g.rc.do(ctx, "heartbeat", http.MethodPost, g.sessionPath(session)+"/heartbeat", nil, nil)
}

// SessionConfig returns a session's effective configuration.
func (g *Gateway) SessionConfig(ctx context.Context, session string) (map[string]string, error) {
	var out struct {
		Properties map[string]string `json:"properties"`
	}
	err := g.rc.do(ctx, "get session", http.MethodGet, g.sessionPath(session), nil, &out)
	return out.Properties, err
}

// ExecuteStatement submits one statement and returns its operation handle.
// executionConfig (may be nil) overrides session configuration for this
// statement only. SQL errors do not fail this call; they surface on fetch.
func (g *Gateway) ExecuteStatement(ctx context.Context, session, statement string, executionConfig map[string]string) (string, error) {
	in := map[string]any{"statement": statement}
	if len(executionConfig) > 0 {
		in["executionConfig"] = executionConfig
	}
	var out struct {
		OperationHandle string `json:"operationHandle"`
	}
	if err := g.rc.do(ctx, "execute statement", http.MethodPost, g.sessionPath(session)+"/statements", in, &out); err != nil {
		return "", err
	}
	return out.OperationHandle, nil
}

// CloseOperation removes an operation and releases its resources; for a
// SELECT this cancels its Flink job.
func (g *Gateway) CloseOperation(ctx context.Context, session, operation string) error {
	return g.rc.do(ctx, "close operation", http.MethodDelete, g.operationPath(session, operation)+"/close", nil, nil)
}

// CompleteStatement returns completion candidates for statement at position.
func (g *Gateway) CompleteStatement(ctx context.Context, session, statement string, position int) ([]string, error) {
	// The gateway declares this as a GET with a JSON body.
	in := map[string]any{"statement": statement, "position": position}
	var out struct {
		Candidates []string `json:"candidates"`
	}
	err := g.rc.do(ctx, "complete statement", http.MethodGet, g.sessionPath(session)+"/complete-statement", in, &out)
	return out.Candidates, err
}

// Result types of a fetch besides PAYLOAD (rows, possibly none, and a next
// token).
const (
	ResultNotReady = "NOT_READY" // nothing yet; fetch the same token again
	ResultEOS      = "EOS"       // the end: no more rows
)

// Column is one result column with its Flink logical type.
type Column struct {
	Name        string          `json:"name"`
	LogicalType json.RawMessage `json:"logicalType"`
}

// TypeName renders the column's logical type as Flink SQL writes it, e.g.
// "STRING", "INT NOT NULL", "DECIMAL(10, 2)", "TIMESTAMP(3)".
func (c Column) TypeName() string { return typeName(c.LogicalType) }

// Row is one changelog row: a row kind (INSERT, UPDATE_BEFORE, UPDATE_AFTER
// or DELETE) and its fields decoded from JSON (numbers as json.Number, so
// BIGINT and DECIMAL keep every digit).
type Row struct {
	Kind   string `json:"kind"`
	Fields []any  `json:"fields"`
}

// ResultPage is one page of a fetch.
type ResultPage struct {
	ResultType string
	JobID      string
	Columns    []Column
	Rows       []Row
	NextToken  int64 // -1 when there is no next page (EOS)
}

// RowFormat is how the gateway writes a result's fields.
type RowFormat string

// Row formats.
const (
	// RowFormatJSON writes fields with the JSON format's converters:
	// numbers as JSON numbers (a DECIMAL loses its scale: 10.50 becomes
	// 10.5), booleans as booleans, arrays and maps as JSON.
	RowFormatJSON RowFormat = "JSON"
	// RowFormatText writes every field as Flink prints it (the form of
	// CAST(x AS STRING) in the session's time zone) and null as null: exact
	// for every type, at the cost of parsing to compute with a value.
	RowFormatText RowFormat = "PLAIN_TEXT"
)

// FetchResults fetches the page at token, its fields in format. The
// gateway accepts only the current token or the one before it (a re-fetch).
func (g *Gateway) FetchResults(ctx context.Context, session, operation string, token int64, format RowFormat) (ResultPage, error) {
	var out struct {
		ResultType string `json:"resultType"`
		JobID      string `json:"jobID"`
		Results    struct {
			Columns []Column `json:"columns"`
			Data    []Row    `json:"data"`
		} `json:"results"`
		NextResultURI string `json:"nextResultUri"`
	}
	path := fmt.Sprintf("%s/result/%d?rowFormat=%s", g.operationPath(session, operation), token, format)
	if err := g.rc.do(ctx, "fetch results", http.MethodGet, path, nil, &out); err != nil {
		return ResultPage{}, err
	}
	page := ResultPage{
		ResultType: out.ResultType,
		JobID:      out.JobID,
		Columns:    out.Results.Columns,
		Rows:       out.Results.Data,
		NextToken:  -1,
	}
	if out.NextResultURI != "" {
		next, err := tokenOf(out.NextResultURI)
		if err != nil {
			return page, fmt.Errorf("flink: fetch results: %w", err)
		}
		page.NextToken = next
	}
	return page, nil
}

// tokenOf extracts the token from a nextResultUri such as
// /v3/sessions/S/operations/O/result/7?rowFormat=JSON.
func tokenOf(uri string) (int64, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return 0, fmt.Errorf("bad next result URI %q: %w", uri, err)
	}
	i := strings.LastIndex(u.Path, "/")
	tok, err := strconv.ParseInt(u.Path[i+1:], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad token in next result URI %q", uri)
	}
	return tok, nil
}

func (g *Gateway) sessionPath(session string) string {
	return "/" + APIVersion + "/sessions/" + url.PathEscape(session)
}

func (g *Gateway) operationPath(session, operation string) string {
	return g.sessionPath(session) + "/operations/" + url.PathEscape(operation)
}
