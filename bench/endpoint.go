package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// localEndpoint is `sqsflow local` running in a child process, so the
// server's CPU is not the client's.
type localEndpoint struct {
	URL string
	cmd *exec.Cmd
	dir string
}

// startLocal builds cmd/sqsflow into a temporary directory and starts
// `sqsflow local` on a free loopback port.
func startLocal(ctx context.Context, moduleRoot string) (*localEndpoint, error) {
	dir, err := os.MkdirTemp("", "sqsflow-bench-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "sqsflow")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sqsflow")
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("build cmd/sqsflow: %w\n%s", err, out)
	}
	cmd := exec.Command(bin, "local", "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start sqsflow local: %w", err)
	}
	e := &localEndpoint{cmd: cmd, dir: dir}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		e.Close()
		return nil, errors.New("sqsflow local printed no endpoint")
	}
	e.URL = strings.TrimSpace(lines.Text())
	go func() { // keep reading so the child never blocks on a full pipe
		for lines.Scan() {
		}
	}()
	if err := waitHealthy(ctx, e.URL, 30*time.Second); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Pid returns the server's process id.
func (e *localEndpoint) Pid() int { return e.cmd.Process.Pid }

// Close stops the server (SIGINT, then SIGKILL after 10s) and removes its
// binary.
func (e *localEndpoint) Close() error {
	defer os.RemoveAll(e.dir)
	e.cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- e.cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil // stopped by our signal
		}
		return err
	case <-time.After(10 * time.Second):
		e.cmd.Process.Kill()
		return <-done
	}
}

// waitHealthy polls GET /health until it answers 200.
func waitHealthy(ctx context.Context, endpoint string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/health", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("endpoint %s not healthy after %v (last error: %v)", endpoint, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// serverStats is the part of GET /_emulator/stats the harness reads.
type serverStats struct {
	Requests map[string]int64 `json:"requests"`
}

func (s serverStats) total() int64 {
	var n int64
	for _, v := range s.Requests {
		n += v
	}
	return n
}

// fetchStats reads the emulator's counters; ok is false for endpoints
// without them (fauxqs, moto).
func fetchStats(ctx context.Context, client *http.Client, endpoint string) (serverStats, bool) {
	var s serverStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/_emulator/stats", nil)
	if err != nil {
		return s, false
	}
	resp, err := client.Do(req)
	if err != nil {
		return s, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, false
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.Requests == nil {
		return s, false
	}
	return s, true
}

// procCPU returns the user+system CPU time a process has used so far, from
// /proc/PID/stat (Linux; ok is false elsewhere).
func procCPU(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces; fields after it are fixed.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const userHZ = 100 // /proc reports clock ticks of USER_HZ, 100 on Linux
	return time.Duration(utime+stime) * time.Second / userHZ, true
}

// childUsage returns a finished child's CPU time and peak RSS in MiB.
func childUsage(ps *os.ProcessState) (cpu time.Duration, rssMB float64) {
	if ps == nil {
		return 0, 0
	}
	cpu = ps.UserTime() + ps.SystemTime()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		rssMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	return cpu, rssMB
}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the sqsflow module")
		}
		dir = parent
	}
}
