package flink

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestParseAPIError(t *testing.T) {
	trace := "<Exception on server side:\n" +
		"org.apache.flink.table.gateway.api.utils.SqlGatewayException: org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.\n" +
		"\tat org.apache.flink.table.gateway.rest.handler.statement.FetchResultsHandler.handleRequest(FetchResultsHandler.java:91)\n" +
		"Caused by: org.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation 1234.\n" +
		"\tat x.y(Z.java:1)\n" +
		"Caused by: org.apache.flink.table.api.ValidationException: SQL validation failed. From line 1, column 15 to line 1, column 18: Object 'nope' not found\n" +
		"\tat x.y(Z.java:1)\n" +
		"Caused by: org.apache.calcite.sql.validate.SqlValidatorException: Object 'nope' not found\n" +
		"\t... 3 more\n\nEnd of exception on server side>"
	body, _ := json.Marshal(map[string]any{"errors": []string{"Internal server error.", trace}})

	tests := []struct {
		name      string
		body      []byte
		status    int
		rootCause string
		message   string
	}{
		{"ValidationChain", body, 500, "Object 'nope' not found",
			"Object 'nope' not found\nSQL validation failed. From line 1, column 15 to line 1, column 18"},
		{"PlainErrors", []byte(`{"errors":["Not found: /v3/nope"]}`), 404, "Not found: /v3/nope", "Not found: /v3/nope"},
		{"NotJSON", []byte("bad gateway"), 502, "bad gateway", "bad gateway"},
		{"Empty", nil, 503, "HTTP 503", "HTTP 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseAPIError("fetch results", tt.status, tt.body)
			if e.RootCause != tt.rootCause {
				t.Errorf("RootCause = %q, want %q", e.RootCause, tt.rootCause)
			}
			if e.Message() != tt.message {
				t.Errorf("Message() = %q, want %q", e.Message(), tt.message)
			}
			if e.StatusCode != tt.status {
				t.Errorf("StatusCode = %d", e.StatusCode)
			}
		})
	}
}

func TestTypeName(t *testing.T) {
	tests := []struct{ json, want string }{
		{`{"type":"INTEGER","nullable":false}`, "INTEGER NOT NULL"},
		{`{"type":"VARCHAR","nullable":true,"length":2147483647}`, "STRING"},
		{`{"type":"VARCHAR","nullable":true,"length":10}`, "VARCHAR(10)"},
		{`{"type":"DECIMAL","nullable":true,"precision":10,"scale":2}`, "DECIMAL(10, 2)"},
		{`{"type":"TIMESTAMP_WITHOUT_TIME_ZONE","nullable":true,"precision":3}`, "TIMESTAMP(3)"},
		{`{"type":"TIMESTAMP_WITH_LOCAL_TIME_ZONE","nullable":false,"precision":3}`, "TIMESTAMP_LTZ(3) NOT NULL"},
		{`{"type":"ARRAY","nullable":true,"elementType":{"type":"INTEGER","nullable":true}}`, "ARRAY<INTEGER>"},
		{`{"type":"MAP","nullable":true,"keyType":{"type":"VARCHAR","nullable":true,"length":2147483647},"valueType":{"type":"BIGINT","nullable":true}}`, "MAP<STRING, BIGINT>"},
	}
	for _, tt := range tests {
		if got := typeName(json.RawMessage(tt.json)); got != tt.want {
			t.Errorf("typeName(%s) = %q, want %q", tt.json, got, tt.want)
		}
	}
}

func TestIsSessionNotFound(t *testing.T) {
	lost := "<Exception on server side:\n" +
		"org.apache.flink.table.gateway.api.utils.SqlGatewayException: Session '4b0c3d5e-1f2a-4c1b-9a3e-0d6f7e8a9b0c' does not exist.\n" +
		"\tat org.apache.flink.table.gateway.service.session.SessionManagerImpl.getSession(SessionManagerImpl.java:140)\n" +
		"\nEnd of exception on server side>"
	wrapped := "<Exception on server side:\n" +
		"org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to executeStatement.\n" +
		"\tat x.y(Z.java:1)\n" +
		"Caused by: org.apache.flink.table.gateway.api.utils.SqlGatewayException: Session 'abc' does not exist.\n" +
		"\tat x.y(Z.java:1)\n" +
		"Caused by: java.lang.IllegalStateException: closed\n" +
		"\tat x.y(Z.java:1)\n" +
		"\nEnd of exception on server side>"
	table := "<Exception on server side:\n" +
		"org.apache.flink.table.api.ValidationException: Table `default_catalog`.`default_database`.`t` does not exist.\n" +
		"\nEnd of exception on server side>"
	apiErr := func(trace string) error {
		body, _ := json.Marshal(map[string]any{"errors": []string{"Internal server error.", trace}})
		return parseAPIError("execute statement", 500, body)
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"RootCause", apiErr(lost), true},
		{"OuterCause", apiErr(wrapped), true},
		{"Wrapped", fmt.Errorf("complete: %w", apiErr(lost)), true},
		{"OtherNotFound", apiErr(table), false},
		{"NotAPIError", errors.New("Session 'x' does not exist."), false},
		{"Nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsSessionNotFound(tt.err); got != tt.want {
				t.Errorf("IsSessionNotFound(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
