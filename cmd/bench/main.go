// Command bench measures the provider at fleet scale against the Graph emulator; `make bench` runs it.
//
// It runs the per-token resources (and their terraform_data baseline) at BENCH_TOKENS, then one
// entraoath_hardware_token_fleet at BENCH_TOKENS (side by side, with the ratios), at BENCH_FLEET_LARGE (default
// 10000; 0 skips it) and at BENCH_TOKENS under the reliability suite's fault mix.
//
// Environment: BENCH_TOKENS (default 1000), BENCH_LATENCY_MS (default 100), BENCH_PLAN_ROUNDS (how many times each
// configuration's no-change plan runs, alternating; default 3), BENCH_OUTPUT (the JSON figures,
// default .bench/bench-results.json), BENCH_BIN_DIR (prebuilt binaries, e.g. bin after `make build`; default: build
// them), TF_ACC_TERRAFORM_PATH (the Terraform CLI; default terraform on PATH). It exits 1 when a target is missed.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"github.com/entraoath/terraform-provider-entraoath/internal/bench"
)

func main() {
	bench.ServeWrapperIfRequested() // Terraform starts this binary in place of the provider, to measure it
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	tokens, err := intEnv("BENCH_TOKENS", 1000)
	if err != nil {
		return err
	}
	latencyMS, err := intEnv("BENCH_LATENCY_MS", 100)
	if err != nil {
		return err
	}
	planRounds, err := intEnv("BENCH_PLAN_ROUNDS", 3)
	if err != nil {
		return err
	}
	terraform := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if terraform == "" {
		if terraform, err = exec.LookPath("terraform"); err != nil {
			return fmt.Errorf("no Terraform CLI: set TF_ACC_TERRAFORM_PATH")
		}
	}
	largeFleet, err := intEnv("BENCH_FLEET_LARGE", 10000)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	config := func(n int, name string) bench.Config {
		return bench.Config{
			Tokens:     n,
			Latency:    time.Duration(latencyMS) * time.Millisecond,
			PlanRounds: planRounds,
			Terraform:  terraform,
			BinDir:     os.Getenv("BENCH_BIN_DIR"),
			WorkDir:    filepath.Join(".bench", name),
			Log:        os.Stderr,
		}
	}
	res, err := bench.Run(ctx, config(tokens, "per-token"))
	if err != nil {
		return err
	}
	res.Print(os.Stdout)
	missed := len(res.Missed())
	all := map[string]any{"per_token": res}
	// The fleet at N (beside the per-token resources), at the large size, and at N under the fault mix.
	fleet, err := bench.RunFleet(ctx, config(tokens, "fleet"), false)
	if err != nil {
		return err
	}
	fleet.Print(os.Stdout)
	verdicts := append(fleet.Missed(), bench.Compare(os.Stdout, res, fleet)...)
	all["fleet"] = fleet
	if largeFleet > tokens {
		large, err := bench.RunFleet(ctx, config(largeFleet, "fleet-large"), false)
		if err != nil {
			return err
		}
		large.Print(os.Stdout)
		verdicts = append(append(verdicts, large.Missed()...), bench.Linearity(os.Stdout, fleet, large))
		all["fleet_large"] = large
	}
	faults, err := bench.RunFleet(ctx, config(tokens, "fleet-faults"), true)
	if err != nil {
		return err
	}
	faults.Print(os.Stdout)
	verdicts = append(verdicts, faults.Missed()...)
	all["fleet_faults"] = faults
	for _, v := range verdicts {
		if !v.Met {
			missed++
		}
	}
	output := os.Getenv("BENCH_OUTPUT")
	if output == "" {
		output = filepath.Join(".bench", "bench-results.json")
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(output, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("figures written to %s\n", output)
	if missed > 0 {
		return fmt.Errorf("%d target(s) missed", missed)
	}
	return nil
}

func intEnv(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a non-negative integer, got %q", name, v)
	}
	return n, nil
}
