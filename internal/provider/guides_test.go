package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// The everyday procedures (templates/guides/*.md.tmpl), each applied step by step as its guide describes it. Most
// start from the split-seed-file example (examples/guides/split-seed-file: main.tf, the plain tokens.tf and the
// vendor files) and replace files as the user edits them; the emulator changes between steps where the guide has
// an admin act in the portal.

const guidesDir = examplesDir + "/guides"

// The users and serial numbers the day-2 examples name.
var (
	guideUsers   = []string{"alice@contoso.example", "bob@contoso.example", "carol@contoso.example", "dave@contoso.example"}
	guideSerials = []string{"70000001", "70000002", "70000003", "70000004", "70000005", "71000001", "71000002"}
)

// testAccGuideDir is a step's working directory: examples/guides/split-seed-file with the files of each overlay
// (a directory under examples/guides, or an absolute path) copied over it, in order.
func testAccGuideDir(t *testing.T, overlays ...string) config.TestStepConfigFunc {
	t.Helper()
	dir := t.TempDir()
	for _, overlay := range append([]string{"split-seed-file"}, overlays...) {
		if !filepath.IsAbs(overlay) {
			overlay = filepath.Join(guidesDir, overlay)
		}
		files, err := os.ReadDir(overlay)
		must(t, err)
		for _, f := range files {
			if f.IsDir() {
				continue // another step
			}
			b, err := os.ReadFile(filepath.Join(overlay, f.Name()))
			must(t, err)
			must(t, os.WriteFile(filepath.Join(dir, f.Name()), b, 0o600))
		}
	}
	return config.StaticDirectory(dir)
}

// expectPlan asserts a whole plan: the listed resources plan the actions given (Terraform's names joined by
// commas: "create", "delete", "delete,create", "forget"), and every other resource in the plan changes nothing.
type expectPlan map[string]string

func (e expectPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	var problems []string
	seen := map[string]bool{}
	for _, rc := range req.Plan.ResourceChanges {
		seen[rc.Address] = true
		var got []string
		for _, a := range rc.Change.Actions {
			got = append(got, string(a))
		}
		want, ok := e[rc.Address]
		if !ok {
			want = "no-op"
		}
		if g := strings.Join(got, ","); g != want {
			problems = append(problems, fmt.Sprintf("%s plans %q, want %q", rc.Address, g, want))
		}
	}
	for addr := range e {
		if !seen[addr] {
			problems = append(problems, fmt.Sprintf("%s is not in the plan", addr))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		resp.Error = fmt.Errorf("unexpected plan:\n%s", strings.Join(problems, "\n"))
	}
}

func guideToken(serial string) string {
	return fmt.Sprintf("entraoath_hardware_token.this[%q]", serial)
}

func guideAssignment(serial string) string {
	return fmt.Sprintf("entraoath_hardware_token_assignment.this[%q]", serial)
}

// guideCase runs a guide's steps: the users exist, and a last step destroys what is left.
type guideCase struct {
	t     *testing.T
	users map[string]emulator.User
	// kept is what the emulator holds after the last step's destroy (serial number => holder); nil: nothing.
	kept map[string]string
}

func newGuideCase(t *testing.T) *guideCase {
	t.Helper()
	users := testAccExampleSetup(t, guideUsers...)
	testAccCleanupExampleTokens(t, guideSerials)
	return &guideCase{t: t, users: users}
}

// step applies dir, asserting the plan (nil: not asserted), an empty plan after the apply, and that the emulator
// then holds the tokens in held (serial number => holder's user principal name, "" for available) and none of
// the serial numbers in gone.
func (g *guideCase) step(dir config.TestStepConfigFunc, plan expectPlan, held map[string]string, gone ...string) resource.TestStep {
	step := resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          dir,
		ConfigPlanChecks:         testAccEmptyPlanAfterApply,
		ConfigStateChecks: []statecheck.StateCheck{emulatorCheck(resource.ComposeAggregateTestCheckFunc(
			g.holding(held), testAccCheckNoEmulatorTokens(gone)))},
	}
	if plan != nil {
		step.ConfigPlanChecks.PreApply = []plancheck.PlanCheck{plan}
	}
	return step
}

// holding checks that the emulator holds the tokens in held (serial number => holder's user principal name, ""
// for available).
func (g *guideCase) holding(held map[string]string) resource.TestCheckFunc {
	holders := map[string]*emulator.User{}
	for serial, upn := range held {
		holders[serial] = nil
		if upn != "" {
			u := g.users[upn]
			holders[serial] = &u
		}
	}
	return testAccCheckExampleTokens(holders)
}

func (g *guideCase) run(steps ...resource.TestStep) {
	left := testAccCheckNoEmulatorTokens(guideSerials)
	if g.kept != nil {
		left = g.holding(g.kept)
	}
	resource.Test(g.t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(g.t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps:                  append(steps, testAccExampleDestroyStep(left)),
	})
}

// The starting point of the day-2 guides: examples/guides/split-seed-file as it is.
var guideIssued = map[string]string{"70000001": "alice@contoso.example", "70000002": "bob@contoso.example", "70000003": "", "70000004": "", "70000005": ""}

// Keep the serial number => user mapping out of the seed file: after the first apply, a new starter edits only
// tokens.tf and plans only that assignment.
func TestAccGuide_splitSeedFile(t *testing.T) {
	g := newGuideCase(t)
	tokens, err := os.ReadFile(filepath.Join(guidesDir, "split-seed-file", "tokens.tf"))
	must(t, err)
	// The weekly edit, as the guide shows it: carol gets spare 70000003.
	const bob = `"70000002" = "bob@contoso.example"`
	edited := strings.Replace(string(tokens), bob, bob+"\n    \"70000003\" = \"carol@contoso.example\"", 1)
	if edited == string(tokens) {
		t.Fatal("examples/guides/split-seed-file/tokens.tf no longer assigns 70000002 to bob, which this test edits")
	}
	newStarter := t.TempDir()
	must(t, os.WriteFile(filepath.Join(newStarter, "tokens.tf"), []byte(edited), 0o600))
	g.run(
		g.step(testAccGuideDir(t), nil, guideIssued),
		g.step(testAccGuideDir(t, newStarter), expectPlan{guideAssignment("70000003"): "create"},
			withHolder(guideIssued, "70000003", "carol@contoso.example")),
	)
}

// A lost or stolen token: the user gets a spare in one apply; a stolen token is deleted, a lost one kept unassigned,
// and the check block warns when a lost one is assigned again (a warning: the apply goes ahead).
func TestAccGuide_lostToken(t *testing.T) {
	g := newGuideCase(t)
	tokens, err := os.ReadFile(filepath.Join(guidesDir, "lost-token", "replaced", "tokens.tf"))
	must(t, err)
	const bob = `"70000004" = "bob@contoso.example"`
	edited := strings.Replace(string(tokens), bob, bob+"\n    \"70000002\" = \"carol@contoso.example\"", 1)
	if edited == string(tokens) {
		t.Fatal("examples/guides/lost-token/replaced/tokens.tf no longer assigns 70000004 to bob, which this test edits")
	}
	lostAssigned := t.TempDir()
	must(t, os.WriteFile(filepath.Join(lostAssigned, "tokens.tf"), []byte(edited), 0o600))
	replaced := map[string]string{"70000002": "", "70000003": "alice@contoso.example", "70000004": "bob@contoso.example", "70000005": ""}
	warned := g.step(testAccGuideDir(t, "lost-token/replaced", lostAssigned), expectPlan{guideAssignment("70000002"): "create"},
		withHolder(replaced, "70000002", "carol@contoso.example"), "70000001")
	warned.ConfigPlanChecks.PreApply = append(warned.ConfigPlanChecks.PreApply, expectCheckFails("lost_tokens_not_assigned"))
	g.run(
		g.step(testAccGuideDir(t), nil, guideIssued),
		g.step(testAccGuideDir(t, "lost-token/replaced"), expectPlan{
			guideAssignment("70000001"): "delete",
			guideToken("70000001"):      "delete",
			guideAssignment("70000002"): "delete",
			guideAssignment("70000003"): "create",
			guideAssignment("70000004"): "create",
		}, replaced, "70000001"),
		warned,
	)
}

// expectCheckFails asserts that the plan reports the configuration's check block name as failed.
type expectCheckFails string

func (name expectCheckFails) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, c := range req.Plan.Checks {
		if c.Address.Kind == "check" && c.Address.Name == string(name) {
			if c.Status != "fail" {
				resp.Error = fmt.Errorf("check %q is %q, want fail", name, c.Status)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("the plan reports no check %q", name)
}

// A person leaves: the row removed or its user blanked returns the token to the pool. When the account was deleted
// first, the next plan still works: it plans the assignment again (the apply then names the missing user), and
// removing the row leaves nothing to do.
func TestAccGuide_leaver(t *testing.T) {
	g := newGuideCase(t)
	leavers := map[string]string{"70000001": "", "70000002": "", "70000003": "dave@contoso.example", "70000004": "", "70000005": ""}
	deleted := g.step(testAccGuideDir(t, "leaver/removed"), expectPlan{guideAssignment("70000003"): "create"}, nil)
	deleted.PreConfig = func() { must(t, testEmulator.DeleteUser("dave@contoso.example")) }
	deleted.ExpectError = regexp.MustCompile(`User "dave@contoso.example" was not found in the tenant`)
	deleted.ConfigStateChecks = nil
	cleanedUp := g.step(testAccGuideDir(t, "leaver/user-deleted"), expectPlan{}, withHolder(leavers, "70000003", ""))
	g.run(
		g.step(testAccGuideDir(t, "leaver"), nil,
			map[string]string{"70000001": "alice@contoso.example", "70000002": "bob@contoso.example", "70000003": "dave@contoso.example", "70000004": "", "70000005": ""}),
		g.step(testAccGuideDir(t, "leaver/removed"), expectPlan{
			guideAssignment("70000001"): "delete",
			guideAssignment("70000002"): "delete",
		}, leavers),
		deleted,
		cleanedUp,
	)
}

// withHolder is m with serial's holder set to upn.
func withHolder(m map[string]string, serial, upn string) map[string]string {
	out := map[string]string{serial: upn}
	for k, v := range m {
		if k != serial {
			out[k] = v
		}
	}
	return out
}

// A token moves from one user to another: the assignment is replaced, the token stays.
func TestAccGuide_moveToken(t *testing.T) {
	g := newGuideCase(t)
	g.run(
		g.step(testAccGuideDir(t), nil, guideIssued),
		g.step(testAccGuideDir(t, "move-token/moved"), expectPlan{guideAssignment("70000001"): "delete,create"},
			withHolder(guideIssued, "70000001", "carol@contoso.example")),
	)
}

// Rotating to a new batch: the new tokens are added beside the old ones, then the old batch is cut over.
func TestAccGuide_rotation(t *testing.T) {
	g := newGuideCase(t)
	sideBySide := withHolder(withHolder(guideIssued, "71000001", "alice@contoso.example"), "71000002", "bob@contoso.example")
	cutOver := expectPlan{}
	for _, serial := range guideSerials[:5] {
		cutOver[guideToken(serial)] = "delete"
	}
	cutOver[guideAssignment("70000001")], cutOver[guideAssignment("70000002")] = "delete", "delete"
	g.run(
		g.step(testAccGuideDir(t), nil, guideIssued),
		g.step(testAccGuideDir(t, "rotation", "rotation/side-by-side"), expectPlan{
			guideToken("71000001"): "create", guideAssignment("71000001"): "create",
			guideToken("71000002"): "create", guideAssignment("71000002"): "create",
		}, sideBySide),
		g.step(testAccGuideDir(t, "rotation", "rotation/cut-over"), cutOver,
			map[string]string{"71000001": "alice@contoso.example", "71000002": "bob@contoso.example"}, guideSerials[:5]...),
	)
}

// Stop managing the tokens without deleting them: removed blocks forget every token and assignment, and Entra ID
// keeps them as they were.
func TestAccGuide_stopManaging(t *testing.T) {
	g := newGuideCase(t)
	forget := expectPlan{guideAssignment("70000001"): "forget", guideAssignment("70000002"): "forget"}
	for _, serial := range guideSerials[:5] {
		forget[guideToken(serial)] = "forget"
	}
	g.kept = guideIssued // Terraform no longer manages them: destroying the configuration leaves them
	g.run(
		g.step(testAccGuideDir(t), nil, guideIssued),
		g.step(testAccGuideDir(t, "stop-managing/removed"), forget, guideIssued),
	)
}

// A lost break-glass token, as the lost-token guide describes it on examples/break-glass: prevent_destroy stops
// the replacement until it is lifted, then one apply swaps the lost token for a new one.
func TestAccGuide_lostBreakGlassToken(t *testing.T) {
	const lost, replacement, kept = "BG-0001", "BG-0003", "BG-0002"
	users := testAccExampleSetup(t, "emergency1@contoso.example", "emergency2@contoso.example")
	serials := []string{lost, replacement, kept}
	testAccCleanupExampleTokens(t, serials)
	seeds := config.Variables{}
	for _, serial := range serials {
		seeds[serial] = config.StringVariable(testAccSeed())
	}
	vars := config.Variables{"break_glass_seeds": config.MapVariable(seeds)}
	swap := func(preventDestroy string) config.TestStepConfigFunc {
		return testAccExampleEdited(t, "break-glass", `"`+lost+`" = "emergency1@contoso.example"`,
			`"`+replacement+`" = "emergency1@contoso.example"`, "prevent_destroy = true", "prevent_destroy = "+preventDestroy)
	}
	e1, e2 := users["emergency1@contoso.example"], users["emergency2@contoso.example"]
	step := func(dir config.TestStepConfigFunc, plan expectPlan, holders map[string]*emulator.User) resource.TestStep {
		s := resource.TestStep{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          dir,
			ConfigVariables:          vars,
			ConfigPlanChecks:         testAccEmptyPlanAfterApply,
			ConfigStateChecks:        []statecheck.StateCheck{emulatorCheck(testAccCheckExampleTokens(holders))},
		}
		if plan != nil {
			s.ConfigPlanChecks.PreApply = []plancheck.PlanCheck{plan}
		}
		return s
	}
	blocked := step(swap("true"), nil, nil)
	blocked.ExpectError = regexp.MustCompile(`Instance cannot be destroyed`)
	blocked.ConfigPlanChecks, blocked.ConfigStateChecks = resource.ConfigPlanChecks{}, nil
	swapped := map[string]*emulator.User{replacement: &e1, kept: &e2}
	resource.Test(t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			step(testAccExampleDir("break-glass"), nil, map[string]*emulator.User{lost: &e1, kept: &e2}),
			blocked,
			step(swap("false"), expectPlan{
				`entraoath_hardware_token.break_glass["` + lost + `"]`:                   "delete",
				`entraoath_hardware_token_assignment.break_glass["` + lost + `"]`:        "delete",
				`entraoath_hardware_token.break_glass["` + replacement + `"]`:            "create",
				`entraoath_hardware_token_assignment.break_glass["` + replacement + `"]`: "create",
			}, swapped),
			// prevent_destroy back on: nothing to do.
			step(swap("true"), expectPlan{}, swapped),
			testAccExampleDestroyStep(testAccCheckNoEmulatorTokens(serials)),
		},
	})
}

// testAccExampleEdited copies an example with its main.tf edited: each pair of strings replaces every occurrence
// of the first (which must occur) by the second.
func testAccExampleEdited(t *testing.T, name string, oldNew ...string) config.TestStepConfigFunc {
	t.Helper()
	return testAccExampleMainReplaced(t, name, func(text string) string {
		for i := 0; i < len(oldNew); i += 2 {
			if !strings.Contains(text, oldNew[i]) {
				t.Fatalf("examples/%s/main.tf no longer contains %q, which this test edits", name, oldNew[i])
			}
			text = strings.ReplaceAll(text, oldNew[i], oldNew[i+1])
		}
		return text
	})
}

// Break-glass hardening: the policy in its own configuration survives that configuration's destroy only by a
// deliberate removal, and even then stays enabled.
func TestAccGuide_breakGlassPolicy(t *testing.T) {
	testAccExampleSetup(t)
	testAccRestoreDefaultPolicy(t)
	apply := resource.TestStep{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ConfigDirectory:          testAccGuideOnly("break-glass-policy"),
		ConfigPlanChecks:         testAccEmptyPlanAfterApply,
		ConfigStateChecks:        []statecheck.StateCheck{emulatorCheck(testAccCheckEmulatorPolicy(testAccEnabledForAllUsers))},
	}
	destroy := apply
	destroy.Destroy, destroy.ExpectError = true, regexp.MustCompile(`Instance cannot be destroyed`)
	destroy.ConfigPlanChecks, destroy.ConfigStateChecks = resource.ConfigPlanChecks{}, nil
	resource.Test(t, resource.TestCase{
		PreCheck:               func() { testAccPreCheck(t) },
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_7_0)},
		Steps:                  []resource.TestStep{apply, destroy, testAccExampleDestroyStep(testAccCheckEmulatorPolicy(testAccEnabledForAllUsers))},
	})
}

// testAccGuideOnly is a guide's example directory as it is.
func testAccGuideOnly(name string) config.TestStepConfigFunc {
	return config.StaticDirectory(filepath.Join(guidesDir, name))
}
