package flinktest

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CommittedRows reads every row a filesystem sink with the csv format has
// committed under dir: its part files, not the hidden in-progress ones a
// checkpoint has not committed yet.
func CommittedRows(dir string) ([][]string, error) {
	var rows [][]string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, recs...)
		return nil
	})
	return rows, err
}
