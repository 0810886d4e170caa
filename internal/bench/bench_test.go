package bench

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	ServeWrapperIfRequested() // the smoke run's Terraform starts this test binary as the provider wrapper
	os.Exit(m.Run())
}

// testTerraform is the Terraform CLI the smoke runs use; they run only with TF_ACC set.
func testTerraform(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("runs the Terraform CLI: set TF_ACC=1 (make test does)")
	}
	terraform := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if terraform == "" {
		var err error
		if terraform, err = exec.LookPath("terraform"); err != nil {
			t.Fatal("no Terraform CLI: set TF_ACC_TERRAFORM_PATH")
		}
	}
	return terraform
}

// TestBenchSmoke runs the whole benchmark at 50 tokens and asserts what does not depend on the machine's speed:
// Graph request counts and an empty no-change plan. Timing is measured by `make bench`, never asserted in tests.
func TestBenchSmoke(t *testing.T) {
	terraform := testTerraform(t)
	const tokens = 50
	var log strings.Builder
	res, err := Run(context.Background(), Config{
		Tokens:     tokens,
		Latency:    5 * time.Millisecond,
		PlanRounds: 2, // the even case of the median
		Terraform:  terraform,
		BinDir:     os.Getenv("BENCH_BIN_DIR"), // empty: build the provider and the emulator from this tree
		WorkDir:    t.TempDir(),
		Log:        &log,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var out strings.Builder
	res.Print(&out)
	t.Log(out.String())

	apply, plan, unshared := res.run("entraoath", cmdApply), res.run("entraoath", cmdPlan), res.run("entraoath", cmdPlanNoShare)
	if apply == nil || plan == nil || unshared == nil {
		t.Fatalf("missing runs: %+v", res.Runs)
	}
	if perToken := float64(apply.RequestsTotal) / tokens; perToken > applyRequestsPerToken(tokens) {
		t.Errorf("apply made %.2f Graph requests per token (%v), want at most %.3f (3 per token plus the listing's page)",
			perToken, apply.Requests, applyRequestsPerToken(tokens))
	}
	if pages := apply.Requests["GET /beta/directory/authenticationMethodDevices/hardwareOathDevices"]; pages != 1 {
		t.Errorf("apply listed the inventory %d times (%v), want once: the serial-number check shares one listing", pages, apply.Requests)
	}
	if perResource := float64(plan.RequestsTotal) / (2 * tokens); perResource > maxPlanRequestsPerResource {
		t.Errorf("no-change plan made %.3f Graph requests per resource (%v), want at most %g", perResource, plan.Requests, maxPlanRequestsPerResource)
	}
	for _, config := range []string{"baseline", "entraoath"} {
		if plans := res.runs(config, cmdPlan); len(plans) != 2 || plans[0].Round != 1 || plans[1].Round != 2 {
			t.Errorf("%s: want plan rounds 1 and 2, got %+v", config, plans)
		}
	}
	for _, p := range append(res.runs("entraoath", cmdPlan), unshared) {
		if p.PlanEmpty == nil || !*p.PlanEmpty {
			t.Errorf("%s after apply is not empty", p.Command)
		}
	}
	// Without read-sharing, every token and assignment reads its device: the switch must really switch it off.
	if unshared.RequestsTotal < 2*tokens {
		t.Errorf("plan with read-sharing off made %d Graph requests, want one per resource (%d)", unshared.RequestsTotal, 2*tokens)
	}
	for _, r := range res.Runs {
		if r.Config == "entraoath" && (len(r.ProviderStartupMS) == 0 || r.ProviderCPUSeconds <= 0) {
			t.Errorf("%s: the provider wrapper recorded nothing: %+v", r.Command, r)
		}
	}
}

// TestBenchFleetSmoke runs the fleet benchmark at 60 tokens and asserts its request counts: a no-change plan is one
// listing, 50 tokens deactivated out of band are 50 changed entries, and their repair costs at most two requests
// each plus the listing.
func TestBenchFleetSmoke(t *testing.T) {
	terraform := testTerraform(t)
	var log strings.Builder
	res, err := RunFleet(context.Background(), Config{
		Tokens: 60, Latency: 5 * time.Millisecond, Terraform: terraform, BinDir: os.Getenv("BENCH_BIN_DIR"),
		WorkDir: t.TempDir(), Log: &log,
	}, false)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	var out strings.Builder
	res.Print(&out)
	t.Log(out.String())
	for _, v := range res.Missed() {
		if v.Metric != "wall_seconds" { // timings are measured by make bench, never asserted in tests
			t.Errorf("%s: %s = %.2f, want at most %.2f", v.Command, v.Metric, v.Value, v.Target)
		}
	}
	if plan := res.run(cmdPlan); plan == nil || plan.Requests["GET /beta/directory/authenticationMethodDevices/hardwareOathDevices"] != 1 {
		t.Errorf("the no-change plan did not list the inventory exactly once: %+v", plan)
	}
	if len(res.Baseline) != 2 || res.Baseline[1].PlanEmpty == nil || !*res.Baseline[1].PlanEmpty {
		t.Errorf("the terraform_data baseline did not end with a no-change plan: %+v", res.Baseline)
	}
}
