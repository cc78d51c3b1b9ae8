package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"
)

// openAPIRouter is server/openapi.json, loaded, validated and routed once
// per test binary.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDocument)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// validateResponses is a test middleware that checks every response of
// the HTTP API against server/openapi.json (status documented, body
// matching its schema), so the document cannot drift from the handlers.
// The browser app, the health check and the websocket are not part of the
// document (see openAPIExempt).
func validateResponses(tb testing.TB) echo.MiddlewareFunc {
	router, err := openAPIRouter()
	if err != nil {
		tb.Fatalf("server/openapi.json: %v", err)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if !strings.HasPrefix(req.URL.Path, "/api/") || req.Method == http.MethodHead {
				return next(c)
			}
			rec := &responseRecorder{ResponseWriter: c.Response().Writer}
			c.Response().Writer = rec
			if err := next(c); err != nil {
				c.Error(err) // render it now, so the recorder sees it
			}
			if err := validateResponse(router, req, rec); err != nil {
				tb.Errorf("%s %s → %d does not match server/openapi.json: %v\nbody: %.500s", req.Method, req.URL.Path, rec.status(), err, rec.body.String())
			}
			return nil
		}
	}
}

func validateResponse(router routers.Router, req *http.Request, rec *responseRecorder) error {
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Unknown paths and methods are answered by the router with
		// 404/405 and the error envelope; nothing else may miss a route.
		if (errors.Is(err, routers.ErrPathNotFound) && rec.status() == http.StatusNotFound) ||
			(errors.Is(err, routers.ErrMethodNotAllowed) && rec.status() == http.StatusMethodNotAllowed) {
			return nil
		}
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 rec.status(),
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// responseRecorder passes a response through and keeps a copy of it.
type responseRecorder struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func (r *responseRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *responseRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *responseRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// hijacking) as it does in production, where nothing wraps the writer.
func (r *responseRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *responseRecorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}
