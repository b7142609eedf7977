package vectors_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sqsflow/sqsflow/internal/vectors"
)

func TestDir(t *testing.T) {
	dir := vectors.Dir(t)
	if _, err := os.Stat(filepath.Join(dir, "09_naming.json")); err != nil {
		t.Fatal(err)
	}
}
