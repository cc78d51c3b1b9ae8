// Package eddy holds what every part of Eddy shares: the error model.
//
// Errors carry one of a few codes; the HTTP layer turns a code into a status in
// exactly one place (server/errors.go). Internal details stay in the wrapped
// error and the logs; Message is what a user may read.
package eddy

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the server.
const (
	EINVALID      = "invalid"           // the request is malformed or breaks a rule
	ENOTFOUND     = "not_found"         // the named thing does not exist
	ECONFLICT     = "conflict"          // the request collides with current state
	ETOOLARGE     = "too_large"         // a body or upload exceeds a configured limit
	EUNAUTHORIZED = "unauthorized"      // no valid credential
	EFORBIDDEN    = "forbidden"         // a credential that may not do this
	ETOOMANY      = "too_many_requests" // rate-limited: try again later
	EUNAVAILABLE  = "unavailable"       // a dependency (Flink) cannot serve now
	ECAPACITY     = "capacity_exceeded" // not enough KPUs: Details says how many and who holds them
	EINTERNAL     = "internal"          // a bug or an unexpected failure
)

// Error is Eddy's domain error: a code, a message fit for users, optional
// structured details a client may act on (JSON-encodable, e.g. a capacity
// refusal), and an optional wrapped cause that is logged but never shown.
type Error struct {
	Code    string
	Message string
	Details any
	Err     error
}

// Error implements the error interface.
func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return e.Message + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and message that wraps err.
func Wrap(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorDetails returns the details of the first *Error in err's chain, or nil.
func ErrorDetails(err error) any {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or a generic text for errors that carry none.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e) && e.Message != "":
		return e.Message
	}
	return "Internal error."
}
