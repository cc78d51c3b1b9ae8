package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
)

// codeStatus is the one table that turns Eddy's error codes into HTTP status.
var codeStatus = map[string]int{
	eddy.EINVALID:      http.StatusBadRequest,
	eddy.ENOTFOUND:     http.StatusNotFound,
	eddy.ECONFLICT:     http.StatusConflict,
	eddy.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	eddy.EUNAUTHORIZED: http.StatusUnauthorized,
	eddy.EFORBIDDEN:    http.StatusForbidden,
	eddy.EUNAVAILABLE:  http.StatusServiceUnavailable,
	eddy.ECAPACITY:     http.StatusServiceUnavailable,
	eddy.ETOOMANY:      http.StatusTooManyRequests,
	eddy.EINTERNAL:     http.StatusInternalServerError,
}

// statusName is Zeppelin's name for an HTTP status in its response envelope.
func statusName(code int) string {
	switch code {
	case http.StatusOK:
		return "OK"
	case http.StatusCreated:
		return "CREATED"
	case http.StatusRequestEntityTooLarge:
		return "REQUEST_ENTITY_TOO_LARGE"
	}
	// BAD_REQUEST, NOT_FOUND, CONFLICT, INTERNAL_SERVER_ERROR, ...
	name := []byte(http.StatusText(code))
	for i, b := range name {
		switch {
		case b == ' ' || b == '-':
			name[i] = '_'
		case b >= 'a' && b <= 'z':
			name[i] = b - 'a' + 'A'
		}
	}
	return string(name)
}

// Envelope is Zeppelin's REST response shape, used by every JSON route.
// Errors add Eddy's stable error code and, for some codes, structured
// details (Zeppelin clients ignore both).
type Envelope struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Body    any    `json:"body,omitempty"`
	Code    string `json:"code,omitempty"`
	Details any    `json:"details,omitempty"`
}

// ok writes a 200 envelope around body.
func ok(c echo.Context, body any) error {
	return c.JSON(http.StatusOK, Envelope{Status: "OK", Body: body})
}

// errorHandler renders every error a handler returns, in one place.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg, code := http.StatusInternalServerError, "Internal error.", eddy.EINTERNAL
	var details any
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status, code = he.Code, httpStatusCode(he.Code)
		if m, isString := he.Message.(string); isString {
			msg = m
		} else {
			msg = http.StatusText(status)
		}
		if he.Code == http.StatusRequestEntityTooLarge {
			msg = "request body is larger than the limit of " + humanBytes(s.cfg.MaxBodyBytes)
		}
	default:
		code = eddy.ErrorCode(err)
		status, msg, details = codeStatus[code], eddy.ErrorMessage(err), eddy.ErrorDetails(err)
	}
	switch {
	case code == eddy.ECAPACITY:
		// A refusal is Eddy working as meant: worth a line, not an alarm.
		s.log.Info("request refused", "method", c.Request().Method, "path", c.Path(), "err", err)
	case status >= 500:
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, Envelope{Status: statusName(status), Message: msg, Code: code, Details: details})
}

// httpStatusCode is the error code of an HTTP status echo answered by
// itself (no route, method not allowed, body too large): the inverse of
// codeStatus, EINVALID for other client errors.
func httpStatusCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return eddy.ENOTFOUND
	case http.StatusRequestEntityTooLarge:
		return eddy.ETOOLARGE
	case http.StatusUnauthorized:
		return eddy.EUNAUTHORIZED
	case http.StatusForbidden:
		return eddy.EFORBIDDEN
	case http.StatusServiceUnavailable:
		return eddy.EUNAVAILABLE
	}
	if status >= 500 {
		return eddy.EINTERNAL
	}
	return eddy.EINVALID
}
