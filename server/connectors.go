package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/connectors"
)

// ConnectorService lists the cluster's connector jars and adds new ones by
// Maven coordinates; connectors.Service implements it.
type ConnectorService interface {
	List(ctx context.Context) ([]connectors.Connector, error)
	// Add installs a connector and restarts the Flink JVMs; while jobs run
	// it refuses unless force is set.
	Add(ctx context.Context, coords string, force bool) (connectors.Connector, error)
	// CanAdd is false when Eddy does not run the cluster.
	CanAdd() bool
	// Suggestions are jars known to work, to add by their coordinates.
	Suggestions() []connectors.Suggestion
}

var _ ConnectorService = (*connectors.Service)(nil)

// registerConnectorRoutes adds the connector catalog under /api/v1.
func (s *Server) registerConnectorRoutes(v1 *echo.Group) {
	v1.GET("/connectors", s.handleListConnectors)
	v1.POST("/connectors", s.handleAddConnector, requestTime(connectorAddTimeout+time.Minute))
}

// connectorList is the answer of GET /api/v1/connectors.
type connectorList struct {
	Connectors []connectors.Connector  `json:"connectors"`
	Suggested  []connectors.Suggestion `json:"suggested"`
	CanAdd     bool                    `json:"canAdd"`
}

func (s *Server) handleListConnectors(c echo.Context) error {
	list, err := s.cfg.Connectors.List(c.Request().Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []connectors.Connector{}
	}
	return c.JSON(http.StatusOK, connectorList{Connectors: list, Suggested: s.cfg.Connectors.Suggestions(), CanAdd: s.cfg.Connectors.CanAdd()})
}

// addConnectorRequest names a connector by Maven coordinates.
type addConnectorRequest struct {
	Coordinates string `json:"coordinates"`
	Force       bool   `json:"force"`
}

func (s *Server) handleAddConnector(c echo.Context) error {
	var req addConnectorRequest
	if err := decodeBody(c, &req, false); err != nil {
		return err
	}
	if strings.TrimSpace(req.Coordinates) == "" {
		return eddy.Errorf(eddy.EINVALID, "coordinates are required, e.g. org.apache.flink:flink-sql-connector-kafka:5.0.0-2.2")
	}
	// The download and the restart outlive a client that leaves.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), connectorAddTimeout)
	defer cancel()
	added, err := s.cfg.Connectors.Add(ctx, req.Coordinates, req.Force)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, added)
}
