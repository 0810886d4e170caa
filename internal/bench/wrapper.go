package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// The benchmark measures the provider from outside: Terraform's dev_overrides point at a directory whose
// terraform-provider-entraoath is a link to the benchmark's own binary, which Terraform then starts with these
// variables set. In that mode the binary runs the real provider as its child and records the child's resource
// usage; the production provider holds no measuring code.
const (
	envWrapProvider = "ENTRAOATH_BENCH_PROVIDER"  // the real provider's path; its presence selects wrapper mode
	envWrapStats    = "ENTRAOATH_BENCH_STATS_DIR" // where each provider process's figures are written
)

// providerRun is what the wrapper records about one provider process.
type providerRun struct {
	StartupMS   float64 `json:"startup_ms"` // from exec to the go-plugin handshake line: the provider serves from then on
	UserSeconds float64 `json:"user_seconds"`
	SysSeconds  float64 `json:"sys_seconds"`
	MaxRSSKB    int64   `json:"max_rss_kb"`
	// WrapperCPUSeconds is the wrapper's own CPU, which Terraform's rusage includes too: subtracted from it.
	WrapperCPUSeconds float64 `json:"wrapper_cpu_seconds"`
}

// ServeWrapperIfRequested turns the process into the provider wrapper when Terraform started it as one; it then
// exits with the provider's exit status. Call it first thing in main (and in TestMain).
func ServeWrapperIfRequested() {
	provider := os.Getenv(envWrapProvider)
	if provider == "" {
		return
	}
	code, err := wrapProvider(provider, os.Getenv(envWrapStats))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench provider wrapper:", err)
	}
	os.Exit(code)
}

func wrapProvider(provider, statsDir string) (int, error) {
	cmd := exec.Command(provider, os.Args[1:]...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, envWrapProvider+"=") })
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		return 1, err
	}
	cmd.Stdout = w
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 1, err
	}
	w.Close()
	// Terraform stops plugins with a gRPC Shutdown, or a signal: pass terminations on, and let the provider (which
	// shares the process group) handle interrupts itself, as go-plugin servers do.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM {
				_ = cmd.Process.Signal(s) // it may have exited already
			}
		}
	}()

	run := providerRun{StartupMS: -1}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		out := bufio.NewReader(r)
		line, err := out.ReadString('\n')
		if err == nil {
			run.StartupMS = float64(time.Since(start).Microseconds()) / 1000
		}
		// Terraform reads the provider's stdout through us; if Terraform went away, there is nobody to tell.
		_, _ = os.Stdout.WriteString(line)
		_, _ = io.Copy(os.Stdout, out)
	}()
	waitErr := cmd.Wait()
	<-copied

	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.UserSeconds, run.SysSeconds = seconds(ru.Utime), seconds(ru.Stime)
		run.MaxRSSKB = ru.Maxrss // kilobytes on Linux
	}
	var self syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) == nil {
		run.WrapperCPUSeconds = seconds(self.Utime) + seconds(self.Stime)
	}
	if statsDir != "" {
		if err := writeJSON(filepath.Join(statsDir, fmt.Sprintf("provider-%d.json", cmd.Process.Pid)), run); err != nil {
			return 1, err
		}
	}
	var exit *exec.ExitError
	if errors.As(waitErr, &exit) {
		return exit.ExitCode(), nil
	}
	if waitErr != nil {
		return 1, waitErr
	}
	return 0, nil
}

func seconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// readProviderRuns reads what the wrappers of one command wrote.
func readProviderRuns(dir string) ([]providerRun, error) {
	files, err := filepath.Glob(filepath.Join(dir, "provider-*.json"))
	if err != nil {
		return nil, err
	}
	runs := make([]providerRun, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var r providerRun
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
