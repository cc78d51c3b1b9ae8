package kernel_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
)

const catalogDDL = `CREATE TEMPORARY TABLE orders_cat (
  id BIGINT NOT NULL,
  customer STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
  PRIMARY KEY (id) NOT ENFORCED
) COMMENT 'orders as they come' WITH ('connector' = 'datagen', 'fields.customer.length' = '4', 'password' = 'hunter2');
CREATE TEMPORARY TABLE ticks_cat (v INT) WITH ('connector' = 'datagen');
CREATE TEMPORARY VIEW big_ticks AS SELECT v FROM ticks_cat WHERE v > 100;`

// TestKernel_Catalog browses the catalogs in a note's own gateway session:
// its temporary table and view are listed and described (columns, key,
// watermark, connector, the secret masked), also after the gateway has
// lost the session; the shared completer session knows none of them.
func TestKernel_Catalog(t *testing.T) {
	f := newFixture(t)
	n, k := f.note("%flink.ssql\n" + catalogDDL)
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	db := func(tree kernel.CatalogTree) kernel.DatabaseNode {
		t.Helper()
		for _, c := range tree.Catalogs {
			for _, d := range c.Databases {
				if c.Name == "eddy" && d.Name == "default" {
					return d
				}
			}
		}
		t.Fatalf("no eddy.default in %+v", tree)
		return kernel.DatabaseNode{}
	}

	t.Run("Tree", func(t *testing.T) {
		tree, err := k.CatalogTree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tree.CurrentCatalog != "eddy" || tree.CurrentDatabase != "default" || tree.Truncated {
			t.Fatalf("tree %+v", tree)
		}
		d := db(tree)
		if !slices.Contains(d.Tables, "orders_cat") || !slices.Contains(d.Tables, "ticks_cat") || slices.Contains(d.Tables, "big_ticks") {
			t.Fatalf("tables %v", d.Tables)
		}
		if !slices.Equal(d.Views, []string{"big_ticks"}) || d.Error != "" {
			t.Fatalf("views %v, error %q", d.Views, d.Error)
		}
	})
	t.Run("Table", func(t *testing.T) {
		obj, err := k.CatalogObject(ctx, "eddy", "default", "orders_cat")
		if err != nil {
			t.Fatal(err)
		}
		if obj.Kind != kernel.ObjectTable || !obj.Temporary || obj.Connector != "datagen" || obj.Comment != "orders as they come" {
			t.Fatalf("object %+v", obj)
		}
		want := []kernel.CatalogColumn{
			{Name: "id", Type: "BIGINT", Nullable: false},
			{Name: "customer", Type: "STRING", Nullable: true},
			{Name: "ts", Type: "TIMESTAMP(3) *ROWTIME*", Nullable: true},
		}
		if !slices.Equal(obj.Columns, want) {
			t.Fatalf("columns %+v", obj.Columns)
		}
		if !slices.Equal(obj.PrimaryKey, []string{"id"}) {
			t.Fatalf("primary key %v", obj.PrimaryKey)
		}
		if len(obj.Watermarks) != 1 || obj.Watermarks[0].Column != "ts" || obj.Watermarks[0].Expression != "`ts` - INTERVAL '5' SECOND" {
			t.Fatalf("watermarks %+v", obj.Watermarks)
		}
		options := map[string]kernel.CatalogOption{}
		for _, o := range obj.Options {
			options[o.Key] = o
		}
		if o := options["password"]; !o.Masked || o.Value != kernel.MaskedValue {
			t.Fatalf("password option %+v is not masked", o)
		}
		if o := options["fields.customer.length"]; o.Masked || o.Value != "4" {
			t.Fatalf("option %+v", o)
		}
	})
	t.Run("View", func(t *testing.T) {
		obj, err := k.CatalogObject(ctx, "eddy", "default", "big_ticks")
		if err != nil {
			t.Fatal(err)
		}
		if obj.Kind != kernel.ObjectView || !obj.Temporary || obj.Query == "" || len(obj.Columns) != 1 || len(obj.Options) != 0 {
			t.Fatalf("view %+v", obj)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := k.CatalogObject(ctx, "eddy", "default", "nope")
		if eddy.ErrorCode(err) != eddy.ENOTFOUND {
			t.Fatalf("err %v, want %s", err, eddy.ENOTFOUND)
		}
		_, err = k.CatalogObject(ctx, "no_catalog", "default", "orders_cat")
		if eddy.ErrorCode(err) != eddy.ENOTFOUND {
			t.Fatalf("unknown catalog: err %v, want %s", err, eddy.ENOTFOUND)
		}
	})
	t.Run("LostSession", func(t *testing.T) {
		old := kernel.GatewaySession(k)
		if err := f.cluster.Gateway.CloseSession(ctx, old); err != nil {
			t.Fatal(err)
		}
		tree, err := k.CatalogTree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := db(tree); !slices.Contains(d.Tables, "orders_cat") {
			t.Fatalf("after the gateway lost the session: tables %v", d.Tables)
		}
		if kernel.GatewaySession(k) == old {
			t.Fatal("the session handle did not change")
		}
	})
	t.Run("Completer", func(t *testing.T) {
		c := kernel.NewCompleter(f.cluster)
		t.Cleanup(func() { c.Close(context.Background()) })
		tree, err := c.CatalogTree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := db(tree); slices.Contains(d.Tables, "orders_cat") {
			t.Fatalf("the shared session lists the note's temporary table: %v", d.Tables)
		}
		if _, err := c.CatalogObject(ctx, "eddy", "default", "orders_cat"); eddy.ErrorCode(err) != eddy.ENOTFOUND {
			t.Fatalf("err %v, want %s", err, eddy.ENOTFOUND)
		}
	})
}
