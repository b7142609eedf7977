package emulator_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestCLISmoke builds `sqsflow local`, starts it on a free port and drives
// it with clients that are not Go (testdata/cli_smoke.sh: the AWS CLI and
// boto3), then stops it with SIGINT and expects a clean exit.
func TestCLISmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the sqsflow binary")
	}
	for _, tool := range []string{"aws", "python3", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: the non-Go client smoke test needs the AWS CLI, python3 with boto3, and bash", tool)
		}
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("python3 cannot import boto3: the non-Go client smoke test needs it")
	}
	is := is.New(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "sqsflow")
	build := exec.Command("go", "build", "-o", bin, "github.com/sqsflow/sqsflow/cmd/sqsflow")
	build.Stderr = os.Stderr
	is.NoErr(build.Run())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "local", "-addr", "127.0.0.1:0")
	stdout, err := srv.StdoutPipe()
	is.NoErr(err)
	srv.Stderr = os.Stderr
	is.NoErr(srv.Start())
	lines := bufio.NewScanner(stdout)
	is.True(lines.Scan())
	endpoint := lines.Text()
	is.True(strings.HasPrefix(endpoint, "http://127.0.0.1:"))
	go func() {
		for lines.Scan() { // drain the rest so the server never blocks on its stdout
		}
	}()

	script, err := filepath.Abs(filepath.Join("testdata", "cli_smoke.sh"))
	is.NoErr(err)
	run := exec.CommandContext(ctx, "bash", script, endpoint)
	run.Dir = dir
	run.Env = append(os.Environ(), "HOME="+dir) // no user AWS config or credentials files
	out, err := run.CombinedOutput()
	t.Logf("cli_smoke.sh:\n%s", out)
	is.NoErr(err)
	is.True(strings.Contains(string(out), "cli_smoke: OK"))

	is.NoErr(srv.Process.Signal(syscall.SIGINT))
	is.NoErr(srv.Wait()) // exit status 0
}
