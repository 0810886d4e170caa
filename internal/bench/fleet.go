package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"reflect"
	"strings"
)

// The fleet benchmark: one entraoath_hardware_token_fleet holding N tokens with activated assignments. It measures
// apply, a no-change plan, the repair of driftN tokens deactivated out of band (plan and apply), and destroy; with
// Faults, the apply runs under the reliability suite's fault mix and must converge in that one apply.

// Fleet command names, in the order they run.
const (
	cmdRepairPlan  = "plan (drift)"
	cmdRepairApply = "apply (repair)"
	repairPlanFile = "repair.tfplan"
	driftN         = 50
)

// Fleet targets (issue 14 §3).
const (
	fleetMaxApplySeconds   = 300.0
	fleetMaxDestroySeconds = 300.0
	fleetMaxPlanSeconds    = 15.0
	fleetMaxRSSMB          = 500.0
	fleetRepairPerToken    = 2 // Graph requests per repaired token, plus the listing
)

const fleetConfig = `terraform {
  required_providers {
    entraoath = {
      source = "entraoath/entraoath"
    }
  }
}

provider "entraoath" {}

locals {
  tokens = provider::entraoath::parse_token_csv(sensitive(file("${path.module}/../tokens.csv")))
}

# As in the fleet guide; the seeds go in secret_keys_wo, or in secret_keys before Terraform 1.11.
resource "entraoath_hardware_token_fleet" "site" {
  tokens = nonsensitive({ for serial, t in local.tokens : serial => {
    manufacturer        = t.manufacturer
    model               = t.model
    time_interval       = t.time_interval
    hash_function       = t.hash_function
    user_principal_name = t.user_principal_name
  } })
  %s = { for serial, t in local.tokens : serial => t.secret_key }
}
`

// fleetBaselineConfig is the fleet's configuration with Terraform's built-in terraform_data in place of the fleet:
// the same map of entries (stored twice, as input and output, like the fleet's entries with their computed values),
// and no provider. Its no-change plan is Terraform's own cost of a resource holding that much, the floor of the
// fleet's plan.
const fleetBaselineConfig = `locals {
  tokens = { for row in csvdecode(file("${path.module}/../tokens.csv")) : row["serial number"] => row }
}

resource "terraform_data" "site" {
  input = { for serial, t in local.tokens : serial => {
    manufacturer        = t.manufacturer
    model               = t.model
    time_interval       = tonumber(t["time interval"])
    hash_function       = "hmacsha1"
    user_principal_name = t.upn
  } }
}
`

// FleetResults is one fleet run.
type FleetResults struct {
	Tokens           int          `json:"tokens"`
	LatencyMS        float64      `json:"latency_ms"`
	Faults           bool         `json:"faults"`
	TerraformVersion string       `json:"terraform_version"`
	Runs             []CommandRun `json:"runs"`
	// Baseline is fleetBaselineConfig's apply and no-change plan, in the same run (not under the fault mix).
	Baseline []CommandRun `json:"baseline,omitempty"`
	// ChangedEntries is how many entries of tokens the drift plan changes; Duplicates counts serial numbers held by
	// more than one token after the apply, Missing tokens not activated, Stray tokens the tenant holds beyond the fleet.
	ChangedEntries int       `json:"changed_entries"`
	Duplicates     int       `json:"duplicates"`
	Missing        int       `json:"missing"`
	Stray          int       `json:"stray"`
	FaultsInjected any       `json:"faults_injected,omitempty"`
	Report         []Verdict `json:"report"`
}

// faultMix is the reliability suite's mix (faultSuiteFaults in internal/provider) through the emulator's control
// surface.
var faultMix = map[string]float64{
	"throttle_rate": 0.20, "retry_after_ms": 50, "unavailable_rate": 0.10, "applied_then_503_rate": 0.10,
	"applied_then_reset_rate": 0.05, "visibility_delay_ms": 2000,
}

// RunFleet measures one fleet of cfg.Tokens tokens. With faults, only the apply runs under faults; the figures that
// matter then are convergence (an empty plan right after), duplicates and stray tokens.
func RunFleet(ctx context.Context, cfg Config, faults bool) (*FleetResults, error) {
	b, emu, err := start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer emu.stop()
	cfg = b.cfg
	res := &FleetResults{Tokens: cfg.Tokens, LatencyMS: float64(cfg.Latency.Microseconds()) / 1000, Faults: faults,
		TerraformVersion: b.terraformVersion(ctx)}
	step := func(command string) error {
		run, err := b.terraform(ctx, emu, "fleet", command, 0)
		if err == nil {
			res.Runs = append(res.Runs, *run)
		}
		return err
	}
	if faults {
		if err := emu.control(ctx, http.MethodPut, "/_emulator/faults", faultMix, nil); err != nil {
			return nil, err
		}
	}
	if err := step(cmdApply); err != nil {
		return nil, err
	}
	if faults {
		if err := emu.control(ctx, http.MethodGet, "/_emulator/requests", nil, &struct {
			Faults *any `json:"faults"`
		}{&res.FaultsInjected}); err != nil {
			return nil, err
		}
		if err := emu.control(ctx, http.MethodPut, "/_emulator/faults", map[string]float64{}, nil); err != nil {
			return nil, err
		}
	}
	if err := res.countTenant(ctx, emu); err != nil {
		return nil, err
	}
	if err := step(cmdPlan); err != nil {
		return nil, err
	}
	if !faults {
		for _, command := range []string{cmdApply, cmdPlan} {
			run, err := b.terraform(ctx, emu, "fleet-baseline", command, 0)
			if err != nil {
				return nil, err
			}
			res.Baseline = append(res.Baseline, *run)
		}
		if err := emu.deactivate(ctx, driftN); err != nil {
			return nil, err
		}
		if err := step(cmdRepairPlan); err != nil {
			return nil, err
		}
		if res.ChangedEntries, err = b.changedEntries(ctx, emu); err != nil {
			return nil, err
		}
		if err := step(cmdRepairApply); err != nil {
			return nil, err
		}
	}
	if err := step(cmdDestroy); err != nil {
		return nil, err
	}
	res.Report = res.judge()
	return res, nil
}

// control calls the emulator's control surface with in as JSON, decoding the answer into out (when not nil).
func (e *emulator) control(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.env["EMULATOR_URL"]+path, body)
	if err != nil {
		return err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("bench: %s %s: HTTP %d %s", method, path, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

type emulatorDevice struct {
	ID           string `json:"id"`
	SerialNumber string `json:"serialNumber"`
	Status       string `json:"status"`
}

func (e *emulator) devices(ctx context.Context) ([]emulatorDevice, error) {
	var out []emulatorDevice
	return out, e.control(ctx, http.MethodGet, "/_emulator/devices", nil, &out)
}

// deactivate deactivates n activated tokens out of band, as an administrator would in the portal.
func (e *emulator) deactivate(ctx context.Context, n int) error {
	devices, err := e.devices(ctx)
	if err != nil {
		return err
	}
	for _, d := range devices {
		if n == 0 {
			return nil
		}
		if d.Status == "activated" {
			if err := e.control(ctx, http.MethodPost, "/_emulator/devices/"+d.ID+"/deactivate", nil, nil); err != nil {
				return err
			}
			n--
		}
	}
	return fmt.Errorf("bench: %d fewer activated tokens than wanted to deactivate", n)
}

// countTenant checks the tenant against the fleet: one activated token per serial number, nothing else.
func (r *FleetResults) countTenant(ctx context.Context, e *emulator) error {
	devices, err := e.devices(ctx)
	if err != nil {
		return err
	}
	bySerial := map[string]int{}
	activated := 0
	for _, d := range devices {
		bySerial[d.SerialNumber]++
		if d.Status == "activated" {
			activated++
		}
	}
	for serial, n := range bySerial {
		if n > 1 {
			r.Duplicates += n - 1
		}
		if !strings.HasPrefix(serial, "BENCH") {
			r.Stray += n
		}
	}
	r.Missing = r.Tokens - activated
	r.Stray += max(0, len(bySerial)-r.Tokens)
	return nil
}

// changedEntries counts the entries of tokens the saved drift plan changes.
func (b *bench) changedEntries(ctx context.Context, emu *emulator) (int, error) {
	cmd := exec.CommandContext(ctx, b.cfg.Terraform, "show", "-json", repairPlanFile)
	cmd.Dir = b.path("fleet")
	cmd.Env = b.terraformEnv(emu, b.path("stats"), true)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("bench: terraform show -json: %w\n%s", err, stderr.String())
	}
	var plan struct {
		ResourceChanges []struct {
			Change struct {
				Before, After struct {
					Tokens map[string]any `json:"tokens"`
				}
				AfterUnknown struct {
					Tokens map[string]any `json:"tokens"`
				} `json:"after_unknown"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(out, &plan); err != nil {
		return 0, err
	}
	changed := 0
	for _, rc := range plan.ResourceChanges {
		for serial, after := range rc.Change.After.Tokens {
			unknown, _ := rc.Change.AfterUnknown.Tokens[serial].(map[string]any)
			if !reflect.DeepEqual(rc.Change.Before.Tokens[serial], after) || len(unknown) > 0 {
				changed++
			}
		}
	}
	return changed, nil
}

func (r *FleetResults) run(command string) *CommandRun {
	for i := range r.Runs {
		if r.Runs[i].Command == command {
			return &r.Runs[i]
		}
	}
	return nil
}

func (r *FleetResults) judge() []Verdict {
	var out []Verdict
	add := func(command, metric string, value, target float64) {
		out = append(out, Verdict{Command: command, Metric: metric, Value: value, Target: target, Met: value <= target})
	}
	pages := float64((r.Tokens + listingPageSize - 1) / listingPageSize)
	if r.Faults {
		add(cmdApply, "duplicates", float64(r.Duplicates), 0)
		add(cmdApply, "tokens_not_activated", float64(r.Missing), 0)
		add(cmdApply, "stray_tokens", float64(r.Stray), 0)
		add(cmdPlan, "plan_not_empty_after_one_apply", 1-boolFigure(r.run(cmdPlan).PlanEmpty), 0)
		return out
	}
	add(cmdApply, "wall_seconds", r.run(cmdApply).WallSeconds, fleetMaxApplySeconds)
	add(cmdApply, "tokens_not_activated", float64(r.Missing), 0)
	plan := r.run(cmdPlan)
	add(cmdPlan, "wall_seconds", plan.WallSeconds, fleetMaxPlanSeconds)
	add(cmdPlan, "graph_requests", float64(plan.RequestsTotal), pages+2)
	add(cmdPlan, "plan_not_empty", 1-boolFigure(plan.PlanEmpty), 0)
	add(cmdRepairPlan, "changed_entries_off_by", float64(abs(r.ChangedEntries-driftN)), 0)
	add(cmdRepairApply, "graph_requests", float64(r.run(cmdRepairApply).RequestsTotal), fleetRepairPerToken*driftN+pages)
	add(cmdDestroy, "wall_seconds", r.run(cmdDestroy).WallSeconds, fleetMaxDestroySeconds)
	peak := 0.0
	for _, run := range r.Runs {
		peak = max(peak, run.ProviderMaxRSSMB)
	}
	add("all", "provider_max_rss_mb", peak, fleetMaxRSSMB)
	return out
}

func abs(n int) int { return max(n, -n) }

// Missed lists the verdicts that missed their target.
func (r *FleetResults) Missed() []Verdict { return missed(r.Report) }

// Print writes the fleet's table.
func (r *FleetResults) Print(w io.Writer) {
	title := "fleet"
	if r.Faults {
		title = "fleet under the fault mix"
	}
	fmt.Fprintf(w, "\n%s: Terraform %s, one entraoath_hardware_token_fleet of %d tokens with activated assignments, L = %g ms\n",
		title, r.TerraformVersion, r.Tokens, r.LatencyMS)
	fmt.Fprintf(w, "  %-16s %10s %10s %14s %12s %10s\n", "command", "wall s", "ms/token", "Graph requests", "peak RSS MB", "plan empty")
	for _, run := range r.Runs {
		empty := ""
		if run.PlanEmpty != nil {
			empty = fmt.Sprint(*run.PlanEmpty)
		}
		fmt.Fprintf(w, "  %-16s %10.1f %10.2f %14d %12.1f %10s\n", run.Command, run.WallSeconds,
			1000*run.WallSeconds/float64(r.Tokens), run.RequestsTotal, run.ProviderMaxRSSMB, empty)
	}
	if r.Faults {
		fmt.Fprintf(w, "  after one apply: %d duplicates, %d tokens not activated, %d stray tokens; faults injected %v\n",
			r.Duplicates, r.Missing, r.Stray, r.FaultsInjected)
	} else {
		fmt.Fprintf(w, "  drift: %d tokens deactivated out of band, %d entries changed in the plan\n", driftN, r.ChangedEntries)
	}
	if len(r.Baseline) == 2 {
		base, plan := r.Baseline[1], r.run(cmdPlan)
		fmt.Fprintf(w, "  Terraform's floor: terraform_data holding the same map plans in %.1f s (Terraform CPU %.1f s); the "+
			"fleet's plan is %.2f× that (Terraform CPU %.1f s, provider CPU %.1f s)\n", base.WallSeconds, base.TerraformCPUSeconds,
			plan.WallSeconds/base.WallSeconds, plan.TerraformCPUSeconds, plan.ProviderCPUSeconds)
	}
	for _, v := range r.Report {
		fmt.Fprintf(w, "  %-16s %-32s %10.2f  target ≤ %-8.2f %s\n", v.Command, v.Metric, v.Value, v.Target, metOrMissed(v.Met))
	}
}

// Compare prints the fleet beside the per-token resources of the same size (from Run), with the ratios the issue
// bounds: the fleet's apply and plan at most 0.3× the per-token resources' wall time.
func Compare(w io.Writer, perToken *Results, fleet *FleetResults) []Verdict {
	var out []Verdict
	fmt.Fprintf(w, "\nside by side at N = %d (L = %g ms): per-token resources (2N resources) vs one fleet\n", fleet.Tokens, fleet.LatencyMS)
	fmt.Fprintf(w, "  %-10s %12s %12s %8s %10s\n", "command", "per-token s", "fleet s", "ratio", "target")
	for _, command := range []string{cmdApply, cmdPlan, cmdDestroy} {
		p, f := perToken.run("entraoath", command), fleet.run(command)
		if p == nil || f == nil {
			continue
		}
		ratio := f.WallSeconds / p.WallSeconds
		target := "-"
		if command != cmdDestroy {
			v := Verdict{Command: command, Metric: "fleet_to_per_token_wall", Value: ratio, Target: 0.3, Met: ratio <= 0.3}
			out = append(out, v)
			target = fmt.Sprintf("≤ 0.30 %s", metOrMissed(v.Met))
		}
		fmt.Fprintf(w, "  %-10s %12.1f %12.1f %8.2f %10s\n", command, p.WallSeconds, f.WallSeconds, ratio, target)
	}
	return out
}

// Linearity compares the time per token of two fleet sizes: at most 1.3× at the larger one.
func Linearity(w io.Writer, small, large *FleetResults) Verdict {
	per := func(r *FleetResults) float64 { return r.run(cmdApply).WallSeconds / float64(r.Tokens) }
	ratio := per(large) / per(small)
	v := Verdict{Command: cmdApply, Metric: "time_per_token_ratio", Value: ratio, Target: 1.3, Met: ratio <= 1.3}
	fmt.Fprintf(w, "\napply time per token: %.2f ms at N = %d, %.2f ms at N = %d: ratio %.2f, target ≤ 1.3 %s\n",
		1000*per(small), small.Tokens, 1000*per(large), large.Tokens, ratio, metOrMissed(v.Met))
	return v
}
