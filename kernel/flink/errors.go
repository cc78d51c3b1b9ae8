// Package flink holds Eddy's clients for Apache Flink's REST APIs: the SQL
// Gateway (sessions, statements, changelog results) and the JobManager
// (cluster overview, jobs, cancel, savepoints, checkpoints).
package flink

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// APIError is an error answered by a Flink REST endpoint. Flink wraps almost
// every failure in HTTP 500 with a Java stack trace; RootCause holds the
// message a user needs, extracted from that trace.
type APIError struct {
	Op         string   // what Eddy was doing, e.g. "fetch results"
	StatusCode int      // HTTP status
	RootCause  string   // the innermost cause's message, shown first
	Causes     []string // every "Caused by" message, outermost first
	Trace      string   // the full server-side text, for an expandable view
}

// Error returns the root cause first, then the most specific Flink context
// when it adds something (e.g. line and column of a validation error).
func (e *APIError) Error() string {
	msg := e.RootCause
	if ctx := e.context(); ctx != "" && !strings.Contains(msg, ctx) && ctx != msg {
		msg += " (" + ctx + ")"
	}
	if e.Op != "" {
		return "flink: " + e.Op + ": " + msg
	}
	return "flink: " + msg
}

// Message is the text to show a user: the root cause, then context.
func (e *APIError) Message() string {
	msg := e.RootCause
	if ctx := e.context(); ctx != "" && ctx != msg && !strings.Contains(msg, ctx) {
		if strings.HasSuffix(ctx, ": "+msg) {
			ctx = strings.TrimSuffix(ctx, ": "+msg)
		}
		msg += "\n" + ctx
	}
	return msg
}

// Services, as UnreachableError names them.
const (
	ServiceGateway    = "Flink SQL Gateway"
	ServiceJobManager = "Flink JobManager"
)

// UnreachableError is a request that got no answer: the service is down,
// restarting, or the connection broke mid-answer.
type UnreachableError struct {
	Service string // ServiceGateway or ServiceJobManager
	URL     string
	Op      string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("flink: %s: the %s at %s did not answer: %v", e.Op, e.Service, e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// IsNotFound reports whether err is a 404 answer: for a job, the
// JobManager does not know it (it restarted without high availability).
func IsNotFound(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == 404
}

// IsSessionNotFound reports whether err is the gateway's answer for a
// session it does not know: it restarted, or closed the session after its
// idle timeout. The gateway says so only in text: "Session '…' does not
// exist."
func IsSessionNotFound(err error) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, m := range append([]string{apiErr.RootCause}, apiErr.Causes...) {
		if strings.Contains(m, "Session '") && strings.Contains(m, "' does not exist") {
			return true
		}
	}
	return false
}

// context returns the first cause that is not a generic wrapper.
func (e *APIError) context() string {
	for _, c := range e.Causes {
		if !isWrapperMessage(c) {
			return c
		}
	}
	return ""
}

// wrapperPrefixes mark messages of exceptions that only wrap others.
var wrapperPrefixes = []string{
	"Failed to fetchResults", "Failed to execute the operation", "Failed to execute statement",
	"Internal server error", "Could not execute", "Failed to getOperationStatus",
}

func isWrapperMessage(m string) bool {
	for _, p := range wrapperPrefixes {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

// parseAPIError decodes Flink's {"errors":[...]} body into an *APIError.
func parseAPIError(op string, status int, body []byte) *APIError {
	e := &APIError{Op: op, StatusCode: status}
	var env struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(body, &env) != nil || len(env.Errors) == 0 {
		text := strings.TrimSpace(string(body))
		if len(text) > 500 {
			text = text[:500] + "…"
		}
		if text == "" {
			text = fmt.Sprintf("HTTP %d", status)
		}
		e.RootCause, e.Trace = text, text
		return e
	}
	var plain []string
	for _, s := range env.Errors {
		if strings.Contains(s, "\n") || strings.HasPrefix(s, "<Exception on server side") {
			e.Trace = s
			continue
		}
		if s != "Internal server error." {
			plain = append(plain, s)
		}
	}
	e.Causes = causesOf(e.Trace)
	switch {
	case len(e.Causes) > 0:
		e.RootCause = e.Causes[len(e.Causes)-1]
	case len(plain) > 0:
		e.RootCause = strings.Join(plain, "; ")
	default:
		e.RootCause = strings.Join(env.Errors, "; ")
	}
	if e.Trace == "" {
		e.Trace = strings.Join(env.Errors, "\n")
	}
	return e
}

// causesOf returns the messages of a Java stack trace's exception chain, the
// outermost first: the first line and every "Caused by:" line, with the
// exception class stripped and duplicates dropped.
func causesOf(trace string) []string {
	var out []string
	seen := map[string]bool{}
	lines := strings.Split(trace, "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "Caused by: "):
			line = strings.TrimPrefix(line, "Caused by: ")
		case i > 0 && i <= 2 && !strings.HasPrefix(line, "at ") && strings.Contains(line, "Exception"):
			// the top-level exception line right after "<Exception on server side:"
		default:
			continue
		}
		// A message may continue on following lines until the next "at" frame.
		for j := i + 1; j < len(lines); j++ {
			next := strings.TrimSpace(lines[j])
			if next == "" || strings.HasPrefix(next, "at ") || strings.HasPrefix(next, "Caused by:") || strings.HasPrefix(next, "...") || strings.HasPrefix(next, "End of exception") {
				break
			}
			line += "\n" + next
		}
		msg := stripExceptionClass(line)
		if msg == "" || seen[msg] {
			continue
		}
		seen[msg] = true
		out = append(out, msg)
	}
	return out
}

// stripExceptionClass turns "org.x.FooException: message" into "message".
func stripExceptionClass(line string) string {
	for {
		cls, rest, found := strings.Cut(line, ": ")
		if !found || strings.ContainsAny(cls, " \t") || !strings.Contains(cls, ".") {
			return strings.TrimSpace(line)
		}
		line = rest
	}
}
