package kernel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
)

// Bounds of the catalog browser.
const (
	// MaxCatalogNames bounds each list of names: catalogs, the databases of
	// a catalog, the tables, views and functions of a database. Past it the
	// list is cut and its node marked truncated.
	MaxCatalogNames = 500
	// MaxCatalogDatabases bounds the databases whose objects a tree lists,
	// the current one first; the others are named with empty, truncated
	// lists.
	MaxCatalogDatabases = 100
	// catalogParallelism bounds the statements one tree has in flight.
	catalogParallelism = 4
)

// MaskedValue replaces the value of an option that looks like a secret.
const MaskedValue = "******"

// Kinds of catalog objects.
const (
	ObjectTable = "table"
	ObjectView  = "view"
)

// CatalogTree is what the catalogs of a gateway session hold: catalogs,
// their databases and the names of each database's tables, views and user
// functions.
type CatalogTree struct {
	CurrentCatalog  string        `json:"currentCatalog"`
	CurrentDatabase string        `json:"currentDatabase"`
	Catalogs        []CatalogNode `json:"catalogs"`
	Truncated       bool          `json:"truncated"` // some list below was cut
}

// CatalogNode is one catalog and its databases.
type CatalogNode struct {
	Name      string         `json:"name"`
	Databases []DatabaseNode `json:"databases"`
	Truncated bool           `json:"truncated"`
	// Error is why the catalog's databases could not be listed.
	Error string `json:"error,omitempty"`
}

// DatabaseNode is one database and the names of what it holds. Tables
// excludes views (SHOW TABLES lists both). Temporary objects of the session
// are included.
type DatabaseNode struct {
	Name      string   `json:"name"`
	Tables    []string `json:"tables"`
	Views     []string `json:"views"`
	Functions []string `json:"functions"`
	Truncated bool     `json:"truncated"`
	// Error is why some of the database's objects could not be listed.
	Error string `json:"error,omitempty"`
}

// CatalogObject describes one table or view.
type CatalogObject struct {
	Catalog   string `json:"catalog"`
	Database  string `json:"database"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`      // ObjectTable or ObjectView
	Temporary bool   `json:"temporary"` // defined in the session only
	// Columns as DESCRIBE shows them, in order.
	Columns    []CatalogColumn `json:"columns"`
	PrimaryKey []string        `json:"primaryKey"` // column names in key order; empty for none
	Watermarks []Watermark     `json:"watermarks"`
	// Connector is the 'connector' option; "" for a view or a table without one.
	Connector string `json:"connector,omitempty"`
	// Options are the WITH options in Flink's order, secrets masked.
	Options []CatalogOption `json:"options"`
	Comment string          `json:"comment,omitempty"`
	Query   string          `json:"query,omitempty"` // a view's query
}

// CatalogColumn is one column of a table or view.
type CatalogColumn struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // as Flink writes it, e.g. "TIMESTAMP(3) *ROWTIME*"
	Nullable bool   `json:"nullable"`
	// Extras says how a computed or metadata column is derived, e.g.
	// "AS `a` + 1" or "METADATA FROM 'timestamp' VIRTUAL".
	Extras string `json:"extras,omitempty"`
}

// Watermark is a watermark strategy on a rowtime column.
type Watermark struct {
	Column     string `json:"column"`
	Expression string `json:"expression"`
}

// CatalogOption is one connector option. Masked values are MaskedValue.
type CatalogOption struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Masked bool   `json:"masked"`
}

// CatalogTree lists what the catalogs hold in the note's own gateway
// session, so its temporary tables, views and functions are included. A
// lost session is reopened as for completion.
func (k *Kernel) CatalogTree(ctx context.Context) (CatalogTree, error) {
	return catalogTree(ctx, k.query)
}

// CatalogObject describes a table or view in the note's own gateway
// session. An object that does not exist is an eddy.ENOTFOUND error.
func (k *Kernel) CatalogObject(ctx context.Context, catalog, database, name string) (CatalogObject, error) {
	return catalogObject(ctx, k.query, catalog, database, name)
}

// CatalogTree lists what the catalogs hold, in the shared session: no
// note's temporary objects.
func (c *Completer) CatalogTree(ctx context.Context) (CatalogTree, error) {
	return catalogTree(ctx, c.query)
}

// CatalogObject describes a table or view, in the shared session.
func (c *Completer) CatalogObject(ctx context.Context, catalog, database, name string) (CatalogObject, error) {
	return catalogObject(ctx, c.query, catalog, database, name)
}

// query runs a bounded statement in the note's gateway session.
func (k *Kernel) query(ctx context.Context, stmt string, limit int) (rows []flink.Row, err error) {
	_, err = k.inSession(ctx, func(handle string) (err error) {
		rows, err = queryRows(ctx, k.gw, handle, stmt, limit)
		return err
	})
	return rows, err
}

// query runs a bounded statement in the shared gateway session.
func (c *Completer) query(ctx context.Context, stmt string, limit int) (rows []flink.Row, err error) {
	err = c.inSession(ctx, func(handle string) (err error) {
		rows, err = queryRows(ctx, c.gw, handle, stmt, limit)
		return err
	})
	return rows, err
}

// queryFunc runs a statement whose result is small and bounded and returns
// at least its first limit rows.
type queryFunc func(ctx context.Context, stmt string, limit int) ([]flink.Row, error)

// queryRows runs stmt in a gateway session, reads at least limit rows (or
// all, if fewer) and closes the operation.
func queryRows(ctx context.Context, gw *flink.Gateway, session, stmt string, limit int) ([]flink.Row, error) {
	op, err := gw.ExecuteStatement(ctx, session, stmt, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_ = gw.CloseOperation(closeCtx, session, op)
		cancel()
	}()
	return gw.NewFetcher(session, op).All(ctx, limit)
}

// QuoteIdentifier quotes one part of a Flink SQL identifier in backticks.
func QuoteIdentifier(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QualifiedName is catalog.database.name with every part quoted.
func QualifiedName(parts ...string) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = QuoteIdentifier(p)
	}
	return strings.Join(quoted, ".")
}

// names runs a SHOW statement and returns its first column, at most
// MaxCatalogNames of it, and whether there were more.
func names(ctx context.Context, q queryFunc, stmt string) ([]string, bool, error) {
	rows, err := q(ctx, stmt, MaxCatalogNames+1)
	if err != nil {
		return nil, false, err
	}
	out := make([]string, 0, min(len(rows), MaxCatalogNames))
	for _, r := range rows {
		if len(r.Fields) == 0 {
			continue
		}
		if s, ok := r.Fields[0].(string); ok {
			out = append(out, s)
		}
	}
	truncated := len(out) > MaxCatalogNames
	if truncated {
		out = out[:MaxCatalogNames]
	}
	return out, truncated, nil
}

// catalogTree lists catalogs, then their databases, then the objects of
// the databases (at most MaxCatalogDatabases of them), with at most
// catalogParallelism statements in flight. Only failing to list the
// catalogs fails it; other failures are reported on their node.
func catalogTree(ctx context.Context, q queryFunc) (CatalogTree, error) {
	var tree CatalogTree
	cats, truncated, err := names(ctx, q, "SHOW CATALOGS")
	if err != nil {
		return tree, catalogError(err, "list the catalogs")
	}
	tree.Truncated = truncated
	if cur, _, err := names(ctx, q, "SHOW CURRENT CATALOG"); err == nil && len(cur) == 1 {
		tree.CurrentCatalog = cur[0]
	}
	if cur, _, err := names(ctx, q, "SHOW CURRENT DATABASE"); err == nil && len(cur) == 1 {
		tree.CurrentDatabase = cur[0]
	}

	sem := make(chan struct{}, catalogParallelism)
	var wg sync.WaitGroup
	spawn := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			f()
		}()
	}

	tree.Catalogs = make([]CatalogNode, len(cats))
	for i, name := range cats {
		tree.Catalogs[i] = CatalogNode{Name: name, Databases: []DatabaseNode{}}
		c := &tree.Catalogs[i]
		spawn(func() {
			dbs, truncated, err := names(ctx, q, "SHOW DATABASES IN "+QuoteIdentifier(name))
			if err != nil {
				c.Error = rootCause(err)
				return
			}
			c.Truncated = truncated
			for _, db := range dbs {
				c.Databases = append(c.Databases, DatabaseNode{Name: db, Tables: []string{}, Views: []string{}, Functions: []string{}})
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return tree, err
	}

	type located struct {
		catalog string
		db      *DatabaseNode
	}
	var dbs []located
	for i := range tree.Catalogs {
		c := &tree.Catalogs[i]
		tree.Truncated = tree.Truncated || c.Truncated
		for j := range c.Databases {
			l := located{c.Name, &c.Databases[j]}
			if c.Name == tree.CurrentCatalog && l.db.Name == tree.CurrentDatabase {
				dbs = append([]located{l}, dbs...)
			} else {
				dbs = append(dbs, l)
			}
		}
	}
	for i, l := range dbs {
		if i >= MaxCatalogDatabases {
			l.db.Truncated = true
			continue
		}
		listDatabase(ctx, q, l.catalog, l.db, spawn)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return tree, err
	}
	for i := range tree.Catalogs {
		for _, d := range tree.Catalogs[i].Databases {
			tree.Truncated = tree.Truncated || d.Truncated
		}
	}
	return tree, nil
}

// listDatabase fills d's tables, views and functions with three statements
// run by spawn. Tables are SHOW TABLES without the views.
func listDatabase(ctx context.Context, q queryFunc, catalog string, d *DatabaseNode, spawn func(func())) {
	in := " IN " + QualifiedName(catalog, d.Name)
	var (
		mu                sync.Mutex
		tables, views     []string
		tablesOK, viewsOK bool
		pending           = 3
	)
	fail := func(err error) {
		if d.Error == "" {
			d.Error = rootCause(err)
		}
	}
	// done runs once all three have answered: only then can views be
	// taken out of the tables.
	done := func() {
		pending--
		if pending > 0 {
			return
		}
		if tablesOK {
			isView := map[string]bool{}
			for _, v := range views {
				isView[v] = true
			}
			for _, t := range tables {
				if !isView[t] {
					d.Tables = append(d.Tables, t)
				}
			}
		}
		if viewsOK {
			d.Views = views
		}
	}
	spawn(func() {
		out, truncated, err := names(ctx, q, "SHOW TABLES"+in)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fail(err)
		} else {
			tables, tablesOK = out, true
			d.Truncated = d.Truncated || truncated
		}
		done()
	})
	spawn(func() {
		out, truncated, err := names(ctx, q, "SHOW VIEWS"+in)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fail(err)
		} else {
			views, viewsOK = out, true
			d.Truncated = d.Truncated || truncated
		}
		done()
	})
	spawn(func() {
		out, truncated, err := names(ctx, q, "SHOW USER FUNCTIONS"+in)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			fail(err)
		} else {
			d.Functions = out
			d.Truncated = d.Truncated || truncated
		}
		done()
	})
}

// catalogObject describes a table or view from DESCRIBE and SHOW CREATE
// TABLE (SHOW CREATE VIEW when Flink says it is a view), run concurrently.
func catalogObject(ctx context.Context, q queryFunc, catalog, database, name string) (CatalogObject, error) {
	obj := CatalogObject{Catalog: catalog, Database: database, Name: name, Kind: ObjectTable,
		Columns: []CatalogColumn{}, PrimaryKey: []string{}, Watermarks: []Watermark{}, Options: []CatalogOption{}}
	if catalog == "" || database == "" || name == "" {
		return obj, eddy.Errorf(eddy.EINVALID, "a catalog, a database and a name are required")
	}
	id := QualifiedName(catalog, database, name)
	what := "describe " + id
	var (
		wg          sync.WaitGroup
		desc        []flink.Row
		ddl         string
		descErr     error
		ddlErr      error
		ddlIsForObj bool
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		desc, descErr = q(ctx, "DESCRIBE "+id, 10000)
	}()
	go func() {
		defer wg.Done()
		ddl, ddlErr = firstString(ctx, q, "SHOW CREATE TABLE "+id)
		if ddlErr != nil && strings.Contains(rootCause(ddlErr), "is a view") {
			obj.Kind = ObjectView
			ddl, ddlErr = firstString(ctx, q, "SHOW CREATE VIEW "+id)
		}
		ddlIsForObj = ddlErr == nil
	}()
	wg.Wait()
	if descErr != nil {
		return obj, catalogError(descErr, what)
	}
	if !ddlIsForObj {
		return obj, catalogError(ddlErr, what)
	}
	for _, r := range desc {
		obj.addDescribeRow(r)
	}
	d := parseCreateDDL(ddl)
	obj.Temporary = d.temporary
	obj.Comment = d.comment
	obj.Query = d.query
	for _, o := range d.options {
		if o.Key == "connector" {
			obj.Connector = o.Value
		}
		if IsSecretOption(o.Key, o.Value) {
			o.Value, o.Masked = MaskedValue, true
		}
		obj.Options = append(obj.Options, o)
	}
	return obj, nil
}

// addDescribeRow adds one row of DESCRIBE (name, type, null, key, extras,
// watermark) to obj.
func (obj *CatalogObject) addDescribeRow(r flink.Row) {
	field := func(i int) string {
		if i < len(r.Fields) {
			if s, ok := r.Fields[i].(string); ok {
				return s
			}
		}
		return ""
	}
	col := CatalogColumn{Name: field(0), Type: field(1), Nullable: true, Extras: field(4)}
	if len(r.Fields) > 2 {
		if b, ok := r.Fields[2].(bool); ok {
			col.Nullable = b
		}
	}
	obj.Columns = append(obj.Columns, col)
	// Every key column says PRI(a, b): the whole key, in key order.
	if key := field(3); len(obj.PrimaryKey) == 0 && strings.HasPrefix(key, "PRI(") && strings.HasSuffix(key, ")") {
		obj.PrimaryKey = strings.Split(strings.TrimSuffix(strings.TrimPrefix(key, "PRI("), ")"), ", ")
	}
	if wm := field(5); wm != "" {
		obj.Watermarks = append(obj.Watermarks, Watermark{Column: col.Name, Expression: wm})
	}
}

// firstString runs a statement answering one string (SHOW CREATE ...).
func firstString(ctx context.Context, q queryFunc, stmt string) (string, error) {
	rows, err := q(ctx, stmt, 1)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 || len(rows[0].Fields) == 0 {
		return "", fmt.Errorf("%s answered nothing", stmt)
	}
	s, _ := rows[0].Fields[0].(string)
	return s, nil
}

// rootCause is the message of an error to show on a tree node.
func rootCause(err error) string {
	var apiErr *flink.APIError
	if errors.As(err, &apiErr) {
		return apiErr.RootCause
	}
	return eddy.ErrorMessage(err)
}

// catalogError turns a failure to list or describe into an eddy error:
// what Flink says does not exist is ENOTFOUND, other gateway answers
// EUNAVAILABLE, both with Flink's root cause.
func catalogError(err error, what string) error {
	var apiErr *flink.APIError
	switch {
	case eddy.ErrorCode(err) != eddy.EINTERNAL, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &apiErr):
		msg := apiErr.RootCause
		if strings.Contains(msg, "doesn't exist") || strings.Contains(msg, "does not exist") {
			return eddy.Wrap(eddy.ENOTFOUND, err, "%s", msg)
		}
		return eddy.Wrap(eddy.EUNAVAILABLE, err, "cannot %s: %s", what, msg)
	}
	return eddy.Wrap(eddy.EUNAVAILABLE, err, "cannot %s: the Flink SQL Gateway did not answer", what)
}

// secretWords mark option keys whose values are secrets when a part of the
// key (split at '.', '-' and '_') contains one of them.
var secretWords = []string{"password", "passwd", "pwd", "secret", "token", "credential", "jaas", "apikey", "accesskey", "privatekey", "keytab", "signature"}

// IsSecretOption reports whether a connector option looks like a secret:
// its key names a password, secret, token, credential or JAAS config, or
// ends in "key" (fs.s3a.access.key, but not key.format or key.fields), or
// its value embeds a password (a JDBC URL's password=...).
func IsSecretOption(key, value string) bool {
	parts := strings.FieldsFunc(strings.ToLower(key), func(r rune) bool { return r == '.' || r == '-' || r == '_' })
	for _, p := range parts {
		for _, w := range secretWords {
			if strings.Contains(p, w) {
				return true
			}
		}
	}
	if n := len(parts); n > 0 && (parts[n-1] == "key" || parts[n-1] == "keys") {
		return true
	}
	lv := strings.ToLower(value)
	return strings.Contains(lv, "password=") || strings.Contains(lv, "secret=") || strings.Contains(lv, "token=")
}

// createDDL is what the catalog browser takes from SHOW CREATE output.
type createDDL struct {
	temporary bool
	comment   string
	options   []CatalogOption
	query     string // a view's query
}

// parseCreateDDL reads Flink's SHOW CREATE TABLE / VIEW text: whether it
// is temporary, the comment, a table's WITH options, a view's query. It
// reads only what Flink prints after the column list and ignores what it
// does not know (PARTITIONED BY, DISTRIBUTED BY, ...).
func parseCreateDDL(ddl string) createDDL {
	var d createDDL
	toks := sqlTokens(ddl)
	d.temporary = len(toks) > 1 && toks[0].word("CREATE") && toks[1].word("TEMPORARY")
	view := len(toks) > 2 && (toks[1].word("VIEW") || toks[2].word("VIEW"))
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.text == "(":
			depth++
		case t.text == ")":
			depth--
		case depth != 0:
		case t.word("COMMENT") && i+1 < len(toks) && toks[i+1].str:
			d.comment = toks[i+1].value
		case view && t.word("AS"):
			d.query = strings.TrimSpace(ddl[t.end:])
			return d
		case !view && t.word("WITH") && i+1 < len(toks) && toks[i+1].text == "(":
			d.options = parseOptions(toks[i+2:])
			return d
		}
	}
	return d
}

// parseOptions reads 'key' = 'value' pairs separated by commas up to the
// closing parenthesis.
func parseOptions(toks []sqlToken) []CatalogOption {
	var out []CatalogOption
	for i := 0; i+2 < len(toks); {
		if toks[i].text == ")" {
			break
		}
		if toks[i].str && toks[i+1].text == "=" && toks[i+2].str {
			out = append(out, CatalogOption{Key: toks[i].value, Value: toks[i+2].value})
			i += 3
			continue
		}
		i++
	}
	return out
}

// sqlToken is a token of Flink's printed DDL: a string literal (str, with
// its unescaped value), a backquoted identifier, a word or one character.
type sqlToken struct {
	text  string
	value string
	str   bool
	end   int // byte offset just past the token
}

func (t sqlToken) word(w string) bool { return !t.str && strings.EqualFold(t.text, w) }

// sqlTokens splits text into tokens; quotes are doubled to escape them.
func sqlTokens(s string) []sqlToken {
	var out []sqlToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			i++
		case c == '\'' || c == '`':
			var b strings.Builder
			j := i + 1
			for j < len(s) {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			end := min(j+1, len(s))
			out = append(out, sqlToken{text: s[i:end], value: b.String(), str: c == '\'', end: end})
			i = end
		case isWordByte(c) || c >= 0x80:
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] >= 0x80) {
				j++
			}
			out = append(out, sqlToken{text: s[i:j], end: j})
			i = j
		default:
			out = append(out, sqlToken{text: s[i : i+1], end: i + 1})
			i++
		}
	}
	return out
}
