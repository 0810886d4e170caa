package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const guide = "../../templates/guides/offline.md.tmpl"

// shellBlocks returns the guide's ```shell blocks, in order.
func shellBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(guide)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```shell\n(.*?)^```$").FindAllStringSubmatch(string(b), -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) != 6 {
		t.Fatalf("%s has %d shell blocks; this test checks six", guide, len(blocks))
	}
	return blocks
}

// TestOfflineGuide runs the shell commands of "Try your configuration offline" exactly as written, in one shell, in a
// copy of examples/quickstart, with a freshly built graph-emulator on PATH and the provider installed by a real
// terraform init from a local mirror (as it would be from the registry); then checks what each step shows.
func TestOfflineGuide(t *testing.T) {
	terraform := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" || terraform == "" {
		t.Skip("runs Terraform: set TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make test does)")
	}
	tmp := t.TempDir()
	bin, work := filepath.Join(tmp, "bin"), filepath.Join(tmp, "work")
	mirror := filepath.Join(tmp, "mirror")
	provider := filepath.Join(mirror, "registry.terraform.io/entraoath/entraoath/0.0.1", goOSArch(t), "terraform-provider-entraoath_v0.0.1")
	for out, pkg := range map[string]string{filepath.Join(bin, "graph-emulator"): ".", provider: "../.."} {
		if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	if err := os.Symlink(terraform, filepath.Join(bin, "terraform")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(work, os.DirFS("../../examples/quickstart")); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(tmp, "terraformrc")
	writeFile(t, rc, `provider_installation {
  filesystem_mirror {
    path    = "`+mirror+`"
    include = ["registry.terraform.io/entraoath/entraoath"]
  }
  direct { exclude = ["registry.terraform.io/entraoath/entraoath"] }
}
`)

	blocks := shellBlocks(t)
	// Each block's output follows a marker line, to check each block on its own.
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, b := range blocks {
		script.WriteString("echo '@@step " + string(rune('1'+i)) + "'\n" + b)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "NO_COLOR=1",
		// Whatever the caller's shell holds, the guide's commands see only what they set.
		"EMULATOR_URL=", "EMULATOR_CA_FILE=", "TF_CLI_ARGS=", "TF_LOG=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Cleanup(func() { stopLeftover(work, bin) })
	log := ansi.ReplaceAllString(out.String(), "")
	if err != nil {
		t.Fatalf("the guide's commands failed: %v\n%s", err, log)
	}
	steps := strings.Split(log, "@@step ")[1:]
	for _, c := range []struct {
		step int
		want string
	}{
		{1, "export ENTRAOATH_ALLOW_CUSTOM_ENDPOINTS='true'"},
		{1, "users user1@contoso.example, user2@contoso.example, user3@contoso.example, user4@contoso.example, user5@contoso.example"},
		{2, "Apply complete! Resources: 10 added, 0 changed, 0 destroyed."},
		{2, "60212302         activated        user2@contoso.example"},
		{3, `~ status              = "assigned" -> "activated"`},
		{3, "Plan: 0 to add, 1 to change, 0 to destroy."},
		{4, "Microsoft Graph refused the call for lack of permission. Grant the application the Policy.Read.All permission"},
		{4, "terraform plan failed without the permission"},
		{5, "Apply complete! Resources: 0 added, 1 changed, 0 destroyed."},
		{5, "injected fault lost"},
		{6, "Destroy complete! Resources: 10 destroyed."},
		{6, "60212303         activated        user3@contoso.example"},
		{6, "stopped"},
	} {
		if !strings.Contains(flat(steps[c.step-1]), flat(c.want)) {
			t.Errorf("shell block %d does not show %q:\n%s", c.step, c.want, steps[c.step-1])
		}
	}
	if n := strings.Count(steps[3], "Error:"); n == 0 || strings.Count(log, "Error:") != n {
		t.Errorf("errors outside the missing permission's block, or none in it:\n%s", log)
	}
	// -state saved the tenant at stop: the users, and the uploaded tokens, four of them activated.
	saved, err := os.ReadFile(filepath.Join(work, "tenant.json"))
	if err != nil || !strings.Contains(string(saved), `"displayName": "Ann Smith"`) || strings.Count(string(saved), `"status": "activated"`) != 4 {
		t.Errorf("tenant.json after stop: %v\n%s", err, saved)
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// flat joins Terraform's wrapped, boxed diagnostics (and aligned columns) into single-spaced text.
func flat(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "│", " ")), " ")
}

func goOSArch(t *testing.T) string {
	t.Helper()
	b, err := exec.Command("go", "env", "GOOS", "GOARCH").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b)), "_")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// stopLeftover stops the emulator when the guide failed before its stop.
func stopLeftover(work, bin string) {
	cmd := exec.Command("bash", "-c", ". ./emulator.env 2>/dev/null && graph-emulator stop")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	_ = cmd.Run()
}
