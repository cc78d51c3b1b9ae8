package server

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
)

func TestCatalogAPIUnit(t *testing.T) {
	ts, fs := mustOpenFakeRunServer(t)
	id := ts.mustCreateNote(t, "cat", "%flink.ssql\nSELECT 1")
	fs.catalog = kernel.CatalogTree{CurrentCatalog: "default_catalog", CurrentDatabase: "default_database", Catalogs: []kernel.CatalogNode{
		{Name: "default_catalog", Databases: []kernel.DatabaseNode{
			{Name: "default_database", Tables: []string{"orders", "we/ird x"}, Views: []string{"big_orders"}, Functions: []string{}},
			{Name: "big", Tables: []string{}, Views: []string{}, Functions: []string{}, Truncated: true},
		}},
		{Name: "broken", Databases: []kernel.DatabaseNode{}, Error: "Catalog broken is unreachable"},
	}, Truncated: true}
	orders := kernel.CatalogObject{Catalog: "default_catalog", Database: "default_database", Name: "orders", Kind: kernel.ObjectTable, Temporary: true,
		Columns:    []kernel.CatalogColumn{{Name: "id", Type: "BIGINT"}, {Name: "ts", Type: "TIMESTAMP(3) *ROWTIME*", Nullable: true}},
		PrimaryKey: []string{"id"}, Watermarks: []kernel.Watermark{{Column: "ts", Expression: "`ts` - INTERVAL '5' SECOND"}},
		Connector: "kafka", Options: []kernel.CatalogOption{{Key: "connector", Value: "kafka"}, {Key: "properties.sasl.jaas.config", Value: kernel.MaskedValue, Masked: true}}}
	weird := kernel.CatalogObject{Catalog: "default_catalog", Database: "default_database", Name: "we/ird x", Kind: kernel.ObjectView,
		Columns: []kernel.CatalogColumn{{Name: "a", Type: "INT", Nullable: true}}, PrimaryKey: []string{}, Watermarks: []kernel.Watermark{}, Options: []kernel.CatalogOption{}, Query: "SELECT 1 AS a"}
	pct := weird
	pct.Name = "100%"
	fs.objects = map[string]kernel.CatalogObject{"default_catalog/default_database/orders": orders, "default_catalog/default_database/we/ird x": weird,
		"default_catalog/default_database/100%": pct}

	t.Run("Tree", func(t *testing.T) {
		var got kernel.CatalogTree
		getJSON(t, ts, "/api/v1/notebook/"+id+"/catalog", &got)
		if !reflect.DeepEqual(got, fs.catalog) {
			t.Fatalf("tree %+v", got)
		}
	})
	t.Run("Object", func(t *testing.T) {
		var got kernel.CatalogObject
		getJSON(t, ts, "/api/v1/notebook/"+id+"/catalog/default_catalog/default_database/orders", &got)
		if !reflect.DeepEqual(got, orders) {
			t.Fatalf("object %+v", got)
		}
	})
	t.Run("EscapedName", func(t *testing.T) {
		var got kernel.CatalogObject
		getJSON(t, ts, "/api/v1/notebook/"+id+"/catalog/default_catalog/default_database/we%2Fird%20x", &got)
		if got.Name != "we/ird x" || got.Query != "SELECT 1 AS a" {
			t.Fatalf("object %+v", got)
		}
		getJSON(t, ts, "/api/v1/notebook/"+id+"/catalog/default_catalog/default_database/100%25", &got)
		if got.Name != "100%" {
			t.Fatalf("object %+v", got)
		}
	})
	t.Run("OutsideAnyNote", func(t *testing.T) {
		before := len(fs.callLog())
		var tree kernel.CatalogTree
		getJSON(t, ts, "/api/v1/catalog", &tree)
		var obj kernel.CatalogObject
		getJSON(t, ts, "/api/v1/catalog/default_catalog/default_database/we%2Fird%20x", &obj)
		if !reflect.DeepEqual(tree, fs.catalog) || obj.Name != "we/ird x" {
			t.Fatalf("tree %+v, object %+v", tree, obj)
		}
		if got := fs.callLog()[before:]; !reflect.DeepEqual(got, []string{"catalog ", "describe  default_catalog/default_database/we/ird x"}) {
			t.Fatalf("calls %q: want the shared session (no note)", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ts.do(t, http.MethodGet, "/api/v1/notebook/"+id+"/catalog/default_catalog/default_database/nope", nil).mustFail(t, http.StatusNotFound, "nope")
		before := len(fs.callLog())
		ts.do(t, http.MethodGet, "/api/v1/notebook/NOPE12345/catalog", nil).mustFail(t, http.StatusNotFound, "NOPE12345")
		ts.do(t, http.MethodGet, "/api/v1/notebook/NOPE12345/catalog/c/d/t", nil).mustFail(t, http.StatusNotFound, "NOPE12345")
		if got := fs.callLog()[before:]; len(got) != 0 {
			t.Fatalf("calls %v: an unknown note must not reach the catalog", got)
		}
	})
	t.Run("ErrUnavailable", func(t *testing.T) {
		fs.mu.Lock()
		fs.catalogErr = eddy.Errorf(eddy.EUNAVAILABLE, "the catalogs cannot be browsed: no Flink cluster")
		fs.mu.Unlock()
		ts.do(t, http.MethodGet, "/api/v1/notebook/"+id+"/catalog", nil).mustFail(t, http.StatusServiceUnavailable, "no Flink cluster")
		ts.do(t, http.MethodGet, "/api/v1/notebook/"+id+"/catalog/c/d/t", nil).mustFail(t, http.StatusServiceUnavailable, "no Flink cluster")
	})
}
