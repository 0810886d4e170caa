// Package bench measures the provider at fleet scale: it runs the real Terraform CLI against the Graph emulator
// (as a separate process, with latency) for apply, a no-change plan and destroy of N tokens with activated
// assignments, and the same commands on a baseline of 2N built-in terraform_data resources, which is Terraform's
// own cost. `make bench` runs it at N = 1000; a 50-token run of it is part of `make test`.
package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-version"

	emu "github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// Config describes one benchmark run. Zero values take the defaults noted.
type Config struct {
	Tokens      int           // N; default 1000
	Latency     time.Duration // added by the emulator to every Graph call
	Parallelism int           // Terraform's -parallelism; default 10
	// PlanRounds is how many times each configuration's no-change plan runs, the two alternating, so that a burst
	// of load on the machine cannot skew one side; the median is judged. Default 3.
	PlanRounds int
	Terraform  string // path of the Terraform CLI
	// ModuleDir is the provider's module root; default the one `go env GOMOD` names.
	ModuleDir string
	// BinDir holds terraform-provider-entraoath and graph-emulator already built (`make build`); empty means build
	// them into WorkDir.
	BinDir string
	// WorkDir receives the configurations, states, logs and figures; its previous run's files are replaced.
	WorkDir string
	Log     io.Writer // progress; default io.Discard
}

// Command names, in the order they run.
const (
	cmdApply       = "apply"
	cmdPlan        = "plan"
	cmdPlanNoShare = "plan (read-sharing off)"
	cmdDestroy     = "destroy"
)

// CommandRun is the measurement of one Terraform command.
type CommandRun struct {
	Command     string  `json:"command"`
	Config      string  `json:"config"`          // "entraoath" or "baseline"
	Round       int     `json:"round,omitempty"` // of the repeated plans, from 1
	WallSeconds float64 `json:"wall_seconds"`
	// PlanEmpty reports, for plans, whether Terraform found no change (-detailed-exitcode 0).
	PlanEmpty *bool `json:"plan_empty,omitempty"`
	// Requests counts requests by method and route, as the emulator saw them: Graph's (/beta) and Entra ID's
	// sign-in (discovery and token), which is not Graph and is counted apart.
	Requests       map[string]int `json:"requests,omitempty"`
	RequestsTotal  int            `json:"graph_requests"`
	SignInRequests int            `json:"sign_in_requests"`
	// TerraformCPUSeconds is Terraform's own user+sys time, its providers' excluded.
	TerraformCPUSeconds float64 `json:"terraform_cpu_seconds"`
	// ProviderCPUSeconds sums user+sys over the provider processes Terraform started for the command.
	ProviderCPUSeconds float64   `json:"provider_cpu_seconds"`
	ProviderMaxRSSMB   float64   `json:"provider_max_rss_mb"`
	ProviderStartupMS  []float64 `json:"provider_startup_ms,omitempty"` // one per provider process
}

// Results is a whole run.
type Results struct {
	Tokens           int          `json:"tokens"`
	Resources        int          `json:"resources"`
	LatencyMS        float64      `json:"latency_ms"`
	Parallelism      int          `json:"parallelism"`
	TerraformVersion string       `json:"terraform_version"`
	Started          time.Time    `json:"started"`
	Runs             []CommandRun `json:"runs"`
	Report           []Verdict    `json:"report"`
}

// Run performs the benchmark. It fails when a command fails; missed targets are reported in the results.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	b, emu, err := start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer emu.stop()
	cfg = b.cfg

	res := &Results{
		Tokens: cfg.Tokens, Resources: 2 * cfg.Tokens, Parallelism: cfg.Parallelism,
		LatencyMS: float64(cfg.Latency.Microseconds()) / 1000, TerraformVersion: b.terraformVersion(ctx), Started: time.Now(),
	}
	type step struct {
		config, command string
		round           int
	}
	// Both configurations are applied before the plans, so that the plans can alternate.
	steps := []step{{"baseline", cmdApply, 0}, {"entraoath", cmdApply, 0}}
	for round := 1; round <= cfg.PlanRounds; round++ {
		steps = append(steps, step{"baseline", cmdPlan, round}, step{"entraoath", cmdPlan, round})
	}
	steps = append(steps, step{"entraoath", cmdPlanNoShare, 0}, step{"baseline", cmdDestroy, 0}, step{"entraoath", cmdDestroy, 0})
	for _, st := range steps {
		run, err := b.terraform(ctx, emu, st.config, st.command, st.round)
		if err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, *run)
	}
	res.Report = judge(res)
	return res, nil
}

func withDefaults(cfg Config) (Config, error) {
	if cfg.Tokens <= 0 {
		cfg.Tokens = 1000
	}
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = 10
	}
	if cfg.PlanRounds <= 0 {
		cfg.PlanRounds = 3
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Terraform == "" {
		return cfg, errors.New("bench: the Terraform CLI path is required (TF_ACC_TERRAFORM_PATH)")
	}
	if cfg.ModuleDir == "" {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil || strings.TrimSpace(string(out)) == "" {
			return cfg, fmt.Errorf("bench: cannot find the module root with `go env GOMOD`: %v", err)
		}
		cfg.ModuleDir = filepath.Dir(strings.TrimSpace(string(out)))
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = filepath.Join(cfg.ModuleDir, ".bench")
	}
	var err error
	if cfg.WorkDir, err = filepath.Abs(cfg.WorkDir); err != nil {
		return cfg, err
	}
	if cfg.BinDir != "" {
		if cfg.BinDir, err = filepath.Abs(cfg.BinDir); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

type bench struct {
	cfg      Config
	provider string // the real provider binary
	emulator string // the emulator binary
}

func (b *bench) path(elem ...string) string {
	return filepath.Join(append([]string{b.cfg.WorkDir}, elem...)...)
}

// start prepares a run of cfg (with its defaults) and starts its emulator; the caller stops it.
func start(ctx context.Context, cfg Config) (*bench, *emulator, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, nil, err
	}
	b := &bench{cfg: cfg}
	if err := b.prepare(ctx); err != nil {
		return nil, nil, err
	}
	emu, err := b.startEmulator(ctx)
	if err != nil {
		return nil, nil, err
	}
	return b, emu, nil
}

// prepare builds the binaries when needed and writes the vendor file, both configurations and the CLI
// configuration.
func (b *bench) prepare(ctx context.Context) error {
	for _, dir := range []string{"entraoath", "baseline", "fleet", "fleet-baseline", "overrides", "stats", "logs"} {
		if err := os.RemoveAll(b.path(dir)); err != nil {
			return err
		}
		if err := os.MkdirAll(b.path(dir), 0o755); err != nil {
			return err
		}
	}
	bin := b.cfg.BinDir
	if bin == "" {
		bin = b.path("bin")
		fmt.Fprintln(b.cfg.Log, "building the provider and the emulator")
		for target, pkg := range map[string]string{"terraform-provider-entraoath": ".", "graph-emulator": "./cmd/graph-emulator"} {
			cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, target), pkg)
			cmd.Dir = b.cfg.ModuleDir
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("bench: go build %s: %v\n%s", pkg, err, out)
			}
		}
	}
	b.provider, b.emulator = filepath.Join(bin, "terraform-provider-entraoath"), filepath.Join(bin, "graph-emulator")

	// Terraform starts the wrapper (this very binary) in place of the provider.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.Symlink(self, b.path("overrides", "terraform-provider-entraoath")); err != nil {
		return err
	}
	if err := os.WriteFile(b.path("terraformrc"), []byte(fmt.Sprintf(cliConfig, b.path("overrides"))), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(b.path("tokens.csv"), vendorFile(b.cfg.Tokens), 0o600); err != nil {
		return err
	}
	// Write-only seeds, as the fleet guide has them, where Terraform has write-only attributes.
	seeds := "secret_keys"
	if v, err := version.NewVersion(b.terraformVersion(ctx)); err == nil && v.GreaterThanOrEqual(version.Must(version.NewVersion("1.11.0"))) {
		seeds = "secret_keys_wo"
	}
	for dir, content := range map[string]string{"entraoath": entraoathConfig, "baseline": baselineConfig, "fleet": fmt.Sprintf(fleetConfig, seeds),
		"fleet-baseline": fleetBaselineConfig} {
		if err := os.WriteFile(b.path(dir, "main.tf"), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// The provider's address without a host name: Terraform completes it with its default registry host.
const cliConfig = `provider_installation {
  dev_overrides {
    "entraoath/entraoath" = %q
  }
}
`

const entraoathConfig = `terraform {
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

provider "entraoath" {}

locals {
  tokens   = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/../tokens.csv")))
  users    = nonsensitive({ for serial, t in local.tokens : serial => t.user_principal_name })
  assigned = { for serial, upn in local.users : serial => upn if upn != null }
}

# Written as the bulk onboarding guide recommends for large fleets.
resource "entraoath_hardware_token" "token" {
  for_each = local.users

  serial_number = each.key
  manufacturer  = nonsensitive(local.tokens[each.key].manufacturer)
  model         = nonsensitive(local.tokens[each.key].model)
  time_interval = nonsensitive(local.tokens[each.key].time_interval)
  hash_function = nonsensitive(local.tokens[each.key].hash_function)
  # secret_key rather than the write-only secret_key_wo, so the benchmark runs on Terraform 1.8 too.
  secret_key = local.tokens[each.key].secret_key
}

resource "entraoath_hardware_token_assignment" "assignment" {
  for_each = local.assigned

  token_id            = entraoath_hardware_token.token[each.key].id
  user_principal_name = each.value
  secret_key          = local.tokens[each.key].secret_key
}
`

// The baseline has the same shape: N resources from the same file, and N more that each depend on one of them.
const baselineConfig = `locals {
  tokens = { for row in csvdecode(file("${path.module}/../tokens.csv")) : row["serial number"] => row }
}

resource "terraform_data" "token" {
  for_each = local.tokens

  input = {
    serial_number = each.key
    manufacturer  = each.value.manufacturer
    model         = each.value.model
    time_interval = each.value["time interval"]
  }
}

resource "terraform_data" "assignment" {
  for_each = local.tokens

  input = {
    token_id            = terraform_data.token[each.key].id
    user_principal_name = each.value.upn
  }
}
`

// vendorFile is a seed file in the Entra admin center layout, token i for user i of the emulator.
func vendorFile(n int) []byte {
	var sb strings.Builder
	sb.WriteString("upn,serial number,secret key,time interval,manufacturer,model\n")
	seed := make([]byte, 20)
	for i := 1; i <= n; i++ {
		_, _ = rand.Read(seed) // crypto/rand.Read never fails
		fmt.Fprintf(&sb, "user%d@contoso.example,BENCH%06d,%s,30,Contoso,OTP C200\n",
			i, i, base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(seed))
	}
	return []byte(sb.String())
}

// emulator is the graph-emulator process.
type emulator struct {
	cmd    *exec.Cmd
	env    map[string]string // the provider's environment, from -env-file
	client *http.Client      // trusts the emulator's CA
}

func (b *bench) startEmulator(ctx context.Context) (*emulator, error) {
	envFile := b.path("emulator.env")
	os.Remove(envFile)
	cmd := exec.Command(b.emulator, "-env-file", envFile, "-ca-file", b.path("emulator-ca.pem"),
		"-users", fmt.Sprint(b.cfg.Tokens), "-latency", b.cfg.Latency.String())
	cmd.Stderr = b.cfg.Log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting the emulator: %w", err)
	}
	e := &emulator{cmd: cmd}
	// The emulator prints its URL once it serves and the env file is written.
	ready := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(out).ReadString('\n')
		ready <- err
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case err = <-ready:
	case <-time.After(30 * time.Second):
		err = errors.New("timed out")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil {
		e.env, err = readEnvFile(envFile)
	}
	if err == nil {
		e.client, err = emu.ControlClient(e.env["EMULATOR_CA_FILE"])
	}
	if err != nil {
		e.stop()
		return nil, fmt.Errorf("bench: starting the emulator: %w", err)
	}
	fmt.Fprintf(b.cfg.Log, "emulator at %s with %d users, latency %s\n", e.env["EMULATOR_URL"], b.cfg.Tokens, b.cfg.Latency)
	return e, nil
}

func (e *emulator) stop() {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	_ = e.cmd.Wait() // a terminated emulator exits with an error status
}

// readEnvFile parses the emulator's `export K='v'` lines.
func readEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			return nil, fmt.Errorf("%s: unexpected line %q", path, line)
		}
		env[k] = strings.ReplaceAll(strings.Trim(v, "'"), `'\''`, "'")
	}
	return env, nil
}

// requests calls the emulator's control surface: DELETE resets the counts, GET returns them.
func (e *emulator) requests(ctx context.Context, method string) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, method, e.env["EMULATOR_URL"]+"/_emulator/requests", nil)
	if err != nil {
		return nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Requests map[string]int `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: %s /_emulator/requests: HTTP %d %v", method, resp.StatusCode, err)
	}
	return body.Requests, nil
}

func (b *bench) terraformVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, b.cfg.Terraform, "version", "-json").Output()
	if err != nil {
		return ""
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if json.Unmarshal(out, &v) != nil {
		return ""
	}
	return v.Version
}

// terraform runs one command in one configuration and measures it.
func (b *bench) terraform(ctx context.Context, emu *emulator, config, command string, round int) (*CommandRun, error) {
	args := []string{"-input=false", "-lock=false", "-no-color", fmt.Sprintf("-parallelism=%d", b.cfg.Parallelism)}
	switch command {
	case cmdApply:
		args = append([]string{"apply", "-auto-approve"}, args...)
	case cmdPlan, cmdPlanNoShare:
		args = append([]string{"plan", "-refresh=true", "-detailed-exitcode"}, args...)
	case cmdDestroy:
		args = append([]string{"destroy", "-auto-approve", "-refresh=true"}, args...)
	case cmdRepairPlan:
		args = append([]string{"plan", "-refresh=true", "-detailed-exitcode", "-out=" + repairPlanFile}, args...)
	case cmdRepairApply:
		args = append(append([]string{"apply", "-auto-approve"}, args...), repairPlanFile)
	}
	slug, label := config+"-"+strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(command), command
	if round > 0 {
		slug, label = fmt.Sprintf("%s-%d", slug, round), fmt.Sprintf("%s (round %d)", command, round)
	}
	stats := b.path("stats", slug)
	if err := os.MkdirAll(stats, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(b.path("logs", slug+".log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	cmd := exec.CommandContext(ctx, b.cfg.Terraform, args...)
	cmd.Dir = b.path(config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = b.terraformEnv(emu, stats, command != cmdPlanNoShare)
	if _, err := emu.requests(ctx, http.MethodDelete); err != nil {
		return nil, err
	}
	fmt.Fprintf(b.cfg.Log, "%-9s terraform %s ... ", config, label)
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	fmt.Fprintf(b.cfg.Log, "%.1f s\n", wall.Seconds())

	run := &CommandRun{Command: command, Config: config, Round: round, WallSeconds: wall.Seconds()}
	var exit *exec.ExitError
	switch {
	case runErr == nil:
		if strings.HasPrefix(command, cmdPlan) || command == cmdRepairPlan {
			run.PlanEmpty = new(true)
		}
	case errors.As(runErr, &exit) && exit.ExitCode() == 2 && (strings.HasPrefix(command, cmdPlan) || command == cmdRepairPlan):
		run.PlanEmpty = new(false)
	default:
		return nil, fmt.Errorf("bench: terraform %s in %s failed (%v); see %s:\n%s", command, config, runErr, logFile.Name(), tail(logFile.Name(), 30))
	}
	if run.Requests, err = emu.requests(ctx, http.MethodGet); err != nil {
		return nil, err
	}
	for route, n := range run.Requests {
		if isGraphRoute(route) {
			run.RequestsTotal += n
		} else {
			run.SignInRequests += n
		}
	}

	providers, err := readProviderRuns(stats)
	if err != nil {
		return nil, err
	}
	var children float64
	for _, p := range providers {
		run.ProviderCPUSeconds += p.UserSeconds + p.SysSeconds
		run.ProviderMaxRSSMB = max(run.ProviderMaxRSSMB, float64(p.MaxRSSKB)/1024)
		run.ProviderStartupMS = append(run.ProviderStartupMS, p.StartupMS)
		children += p.UserSeconds + p.SysSeconds + p.WrapperCPUSeconds
	}
	// Terraform's rusage includes the provider processes it waited for; what remains is its own.
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.TerraformCPUSeconds = max(0, seconds(ru.Utime)+seconds(ru.Stime)-children)
	}
	return run, nil
}

func (b *bench) terraformEnv(emu *emulator, stats string, sharedReads bool) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		// The switch is set below for this run only; the rest of the caller's environment stays.
		if !strings.HasPrefix(kv, "ENTRAOATH_SHARED_READS=") {
			env = append(env, kv)
		}
	}
	for k, v := range emu.env {
		env = append(env, k+"="+v)
	}
	env = append(env,
		"TF_CLI_CONFIG_FILE="+b.path("terraformrc"),
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		// Only Terraform and the provider it starts trust the emulator's CA.
		"SSL_CERT_FILE="+emu.env["EMULATOR_CA_FILE"],
		envWrapProvider+"="+b.provider,
		envWrapStats+"="+stats,
	)
	if !sharedReads {
		env = append(env, "ENTRAOATH_SHARED_READS=false")
	}
	return env
}

// isGraphRoute tells Graph's routes ("GET /beta/...") from the sign-in endpoints the emulator also serves.
func isGraphRoute(route string) bool {
	_, path, _ := strings.Cut(route, " ")
	return strings.HasPrefix(path, "/beta/")
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
