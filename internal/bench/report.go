package bench

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Targets from the performance issue; L is the emulator's latency and P Terraform's parallelism.
const (
	maxApplyRequestsPerToken   = 3.0  // the API's floor is 2: create, then assignAndActivate; plus listing pages
	listingPageSize            = 999  // the inventory listing's page: the serial check before creating reads it once
	applyLatencyFactor         = 1.5  // apply wall ≤ B + 1.5 × 2·N·L/P
	maxPlanRequestsPerResource = 0.05 // one paged listing answers every read
	planWallFactor             = 1.3  // no-change plan wall ≤ 1.3 × B
	maxProviderCPUShare        = 0.10 // of Terraform's own CPU, for apply and plan
	maxProviderRSSMB           = 150.0
	maxStartupMS               = 100.0
)

// applyRequestsPerToken is the apply's request budget per token: maxApplyRequestsPerToken, plus the pages of the
// one inventory listing that the serial-number check before creating shares across the apply.
func applyRequestsPerToken(tokens int) float64 {
	pages := (tokens + listingPageSize - 1) / listingPageSize
	return maxApplyRequestsPerToken + float64(pages)/float64(tokens)
}

// Verdict is one target checked against a measurement.
type Verdict struct {
	Command string  `json:"command"`
	Metric  string  `json:"metric"`
	Value   float64 `json:"value"`
	Target  float64 `json:"target"` // the bound Value must stay within
	Met     bool    `json:"met"`
}

// Missed lists the verdicts that missed their target.
func (r *Results) Missed() []Verdict { return missed(r.Report) }

func missed(report []Verdict) []Verdict {
	return slices.DeleteFunc(slices.Clone(report), func(v Verdict) bool { return v.Met })
}

// runs returns every run of command in config, in the order they ran.
func (r *Results) runs(config, command string) []*CommandRun {
	var out []*CommandRun
	for i := range r.Runs {
		if r.Runs[i].Config == config && r.Runs[i].Command == command {
			out = append(out, &r.Runs[i])
		}
	}
	return out
}

// run returns the run of command in config that is judged: the one with the median wall time when it ran more
// than once (the lower of the two middle ones for an even count).
func (r *Results) run(config, command string) *CommandRun {
	runs := r.runs(config, command)
	if len(runs) == 0 {
		return nil
	}
	slices.SortStableFunc(runs, func(a, b *CommandRun) int { return cmp.Compare(a.WallSeconds, b.WallSeconds) })
	return runs[(len(runs)-1)/2]
}

// commands lists the provider configuration's commands once each, in the order they first ran.
func (r *Results) commands() []string {
	var out []string
	for _, run := range r.Runs {
		if run.Config == "entraoath" && !slices.Contains(out, run.Command) {
			out = append(out, run.Command)
		}
	}
	return out
}

// baseline is the terraform_data run that B comes from for command.
func (r *Results) baseline(command string) *CommandRun {
	if command == cmdPlanNoShare {
		command = cmdPlan
	}
	return r.run("baseline", command)
}

// latencyFloor is 2·N·L/P: the wall time one Graph call per resource adds when Terraform keeps P calls in flight.
func (r *Results) latencyFloor() float64 {
	return 2 * float64(r.Tokens) * r.LatencyMS / 1000 / float64(r.Parallelism)
}

// wallTarget returns the floor and the target wall time of command, given its baseline wall time B; ok is false for
// commands without a target.
func (r *Results) wallTarget(command string, b float64) (floor, target float64, ok bool) {
	switch command {
	case cmdApply:
		return b + r.latencyFloor(), b + applyLatencyFactor*r.latencyFloor(), true
	case cmdPlan:
		return b, planWallFactor * b, true
	}
	return 0, 0, false
}

func judge(r *Results) []Verdict {
	var out []Verdict
	add := func(command, metric string, value, target float64, met bool) {
		out = append(out, Verdict{Command: command, Metric: metric, Value: value, Target: target, Met: met})
	}
	for _, command := range r.commands() {
		run := r.run("entraoath", command)
		if base := r.baseline(run.Command); base != nil {
			if _, target, ok := r.wallTarget(run.Command, base.WallSeconds); ok {
				add(run.Command, "wall_seconds", run.WallSeconds, target, run.WallSeconds <= target)
			}
		}
		switch run.Command {
		case cmdApply:
			perToken, target := float64(run.RequestsTotal)/float64(r.Tokens), applyRequestsPerToken(r.Tokens)
			add(run.Command, "requests_per_token", perToken, target, perToken <= target)
		case cmdPlan:
			perResource := float64(run.RequestsTotal) / float64(r.Resources)
			add(run.Command, "requests_per_resource", perResource, maxPlanRequestsPerResource, perResource <= maxPlanRequestsPerResource)
			add(run.Command, "plan_empty", boolFigure(run.PlanEmpty), 1, run.PlanEmpty != nil && *run.PlanEmpty)
		}
		if run.Command == cmdApply || run.Command == cmdPlan {
			share := run.ProviderCPUSeconds / max(run.TerraformCPUSeconds, 1e-9)
			add(run.Command, "provider_cpu_share", share, maxProviderCPUShare, share <= maxProviderCPUShare)
		}
		add(run.Command, "provider_max_rss_mb", run.ProviderMaxRSSMB, maxProviderRSSMB, run.ProviderMaxRSSMB < maxProviderRSSMB)
		startup := slices.Max(append([]float64{0}, run.ProviderStartupMS...))
		add(run.Command, "provider_startup_ms_max", startup, maxStartupMS, startup < maxStartupMS && !slices.Contains(run.ProviderStartupMS, -1))
	}
	return out
}

func boolFigure(b *bool) float64 {
	if b != nil && *b {
		return 1
	}
	return 0
}

func metOrMissed(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

// routeNames shortens the emulator's route patterns for the table.
var routeNames = strings.NewReplacer(
	"/beta/directory/authenticationMethodDevices/hardwareOathDevices", "devices",
	"/beta/users/{user}/authentication/hardwareOathMethods", "users/{user}/methods",
	"/beta/users/{user}", "users/{user}",
	"/beta/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/hardwareOath", "policy",
)

// Print writes one table per command of the provider's configuration.
func (r *Results) Print(w io.Writer) {
	fmt.Fprintf(w, "\nTerraform %s, %d tokens (%d resources), emulator latency L = %g ms, parallelism P = %d; "+
		"B = the same command on %d terraform_data resources\n",
		r.TerraformVersion, r.Tokens, r.Resources, r.LatencyMS, r.Parallelism, r.Resources)
	verdict := func(command, metric string) string {
		for _, v := range r.Report {
			if v.Command == command && v.Metric == metric {
				return metOrMissed(v.Met)
			}
		}
		return ""
	}
	for _, command := range r.commands() {
		run := r.run("entraoath", command)
		fmt.Fprintf(w, "\n%s\n", run.Command)
		if base := r.baseline(run.Command); base != nil {
			fmt.Fprintf(w, "  %-18s %8.2f s   B %.2f s   ratio to B %.2f", "wall time", run.WallSeconds, base.WallSeconds, run.WallSeconds/base.WallSeconds)
			if floor, target, ok := r.wallTarget(run.Command, base.WallSeconds); ok {
				fmt.Fprintf(w, "   floor %.2f s   target ≤ %.2f s   ratio to target %.2f   %s",
					floor, target, run.WallSeconds/target, verdict(run.Command, "wall_seconds"))
			}
			fmt.Fprintln(w)
			if rounds := r.runs("entraoath", command); len(rounds) > 1 {
				fmt.Fprintf(w, "  %-18s medians of %d rounds, alternating; the provider %v s, B %v s\n", "",
					len(rounds), walls(rounds), walls(r.runs("baseline", base.Command)))
			}
		}
		if run.PlanEmpty != nil {
			fmt.Fprintf(w, "  %-18s %v\n", "plan empty", *run.PlanEmpty)
		}
		fmt.Fprintf(w, "  %-18s %8d   %.3f per token   %.3f per resource", "Graph requests", run.RequestsTotal,
			float64(run.RequestsTotal)/float64(r.Tokens), float64(run.RequestsTotal)/float64(r.Resources))
		switch run.Command {
		case cmdApply:
			fmt.Fprintf(w, "   target ≤ %.3f per token   %s", applyRequestsPerToken(r.Tokens), verdict(run.Command, "requests_per_token"))
		case cmdPlan:
			fmt.Fprintf(w, "   target ≤ %g per resource   %s", maxPlanRequestsPerResource, verdict(run.Command, "requests_per_resource"))
		}
		fmt.Fprintln(w)
		for _, route := range slices.Sorted(maps.Keys(run.Requests)) {
			if isGraphRoute(route) {
				fmt.Fprintf(w, "  %18s %8d   %s\n", "", run.Requests[route], routeNames.Replace(route))
			}
		}
		fmt.Fprintf(w, "  %-18s %8d   (Entra ID discovery and token requests, not Graph)\n", "sign-in requests", run.SignInRequests)
		fmt.Fprintf(w, "  %-18s provider %.2f s   Terraform %.2f s   %.1f%%", "CPU (user+sys)", run.ProviderCPUSeconds,
			run.TerraformCPUSeconds, 100*run.ProviderCPUSeconds/max(run.TerraformCPUSeconds, 1e-9))
		if run.Command == cmdApply || run.Command == cmdPlan {
			fmt.Fprintf(w, "   target ≤ %g%%   %s", 100*maxProviderCPUShare, verdict(run.Command, "provider_cpu_share"))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  %-18s %8.1f MB   target < %g MB   %s\n", "provider peak RSS", run.ProviderMaxRSSMB, maxProviderRSSMB,
			verdict(run.Command, "provider_max_rss_mb"))
		fmt.Fprintf(w, "  %-18s %8.1f ms max over %d provider starts %v   target < %g ms   %s\n", "provider start-up",
			slices.Max(append([]float64{0}, run.ProviderStartupMS...)), len(run.ProviderStartupMS), formatAll("%.1f", run.ProviderStartupMS),
			maxStartupMS, verdict(run.Command, "provider_startup_ms_max"))
	}
	on, off := r.run("entraoath", cmdPlan), r.run("entraoath", cmdPlanNoShare)
	if on != nil && off != nil {
		fmt.Fprintf(w, "\nread-sharing: the no-change plan takes %.2f s and %d Graph requests with it, %.2f s and %d without it "+
			"(%.1f× the time, %.0f× the requests)\n", on.WallSeconds, on.RequestsTotal, off.WallSeconds, off.RequestsTotal,
			off.WallSeconds/on.WallSeconds, float64(off.RequestsTotal)/max(float64(on.RequestsTotal), 1))
	}
	if missed := r.Missed(); len(missed) > 0 {
		fmt.Fprintf(w, "\n%d target(s) missed:\n", len(missed))
		for _, v := range missed {
			fmt.Fprintf(w, "  %s: %s = %.3f, target %.3f\n", v.Command, v.Metric, v.Value, v.Target)
		}
	} else {
		fmt.Fprintln(w, "\nall targets met")
	}
}

// walls lists the wall times of runs, in seconds.
func walls(runs []*CommandRun) []string {
	seconds := make([]float64, len(runs))
	for i, run := range runs {
		seconds[i] = run.WallSeconds
	}
	return formatAll("%.2f", seconds)
}

func formatAll(format string, values []float64) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = fmt.Sprintf(format, v)
	}
	return out
}
