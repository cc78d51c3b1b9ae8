package server

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument describes every route of the server. To document a new
// route, add its path (echo's ":param" written "{param}") and method under
// "paths" in openapi.json; TestOpenAPI_DescribesEveryRoute fails until the
// document and the registered routes agree.
//
//go:embed openapi.json
var openAPIDocument []byte

// handleOpenAPI serves the OpenAPI 3 document as it is (no envelope).
func (s *Server) handleOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}
