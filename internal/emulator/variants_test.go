package emulator

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestVariantSeedsCoverGuesses lists every behaviour the emulator models without Microsoft documenting it, and
// checks that each has at least two answers, and that the two variant seeds `make test` runs with give each
// behaviour two different answers: no suite can then pass only because of one guess.
func TestVariantSeedsCoverGuesses(t *testing.T) {
	raw, err := os.ReadFile("../../GNUmakefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^EMULATOR_VARIANT_SEEDS := (.+)$`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("GNUmakefile sets no EMULATOR_VARIANT_SEEDS")
	}
	var seeds []uint64
	for _, f := range strings.Fields(string(m[1])) {
		seed, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			t.Fatalf("EMULATOR_VARIANT_SEEDS: %v", err)
		}
		seeds = append(seeds, seed)
	}
	want := []string{
		"wrong verification code", "delete of an assigned token", "assigning a token another user holds",
		"a user's token limit", "assignAndActivate with a wrong code rolls back",
		"a second token with an existing serial number is refused",
	}
	guesses := Guesses()
	if len(guesses) != len(want) {
		t.Fatalf("%d guessed behaviours, want %d: add the new one to this list", len(guesses), len(want))
	}
	for i, g := range guesses {
		if g.Name != want[i] {
			t.Errorf("guess %d is %q, want %q", i, g.Name, want[i])
		}
		if g.Variants < 2 {
			t.Errorf("%s: %d variants, want at least 2", g.Name, g.Variants)
		}
		answers := map[string]bool{}
		for _, seed := range seeds {
			answers[g.Of(VariantsFromSeed(seed))] = true
		}
		if len(answers) < 2 {
			t.Errorf("%s: make test's seeds %v give only %v; pick seeds that differ", g.Name, seeds, answers)
		}
		t.Logf("%s: %d variants; make test runs %v", g.Name, g.Variants, answers)
	}
}

// TestVariantsAnswer drives each guessed case through the HTTP API under make test's two variant seeds and checks
// the answer and, for the two modes, the resulting state.
func TestVariantsAnswer(t *testing.T) {
	for _, seed := range []uint64{1, 7} {
		v := withDefaultAnswers(VariantsFromSeed(seed))
		e := start(t, Options{Variants: v, MaxTokensPerUser: 1})
		wantAnswer := func(what string, status int, body map[string]any, a Answer) {
			t.Helper()
			if status != a.Status || errorCode(body) != a.Code {
				t.Errorf("seed %d: %s answered %d %q, want %d %q", seed, what, status, errorCode(body), a.Status, a.Code)
			}
		}
		id := e.create("S-1")
		status, body := e.do("POST", methods(e.alice)+"/assignAndActivate",
			map[string]any{"device": map[string]any{"id": id}, "verificationCode": "000000", "displayName": ""})
		wantAnswer("a wrong verification code", status, body, v.WrongCode)
		d, _ := e.srv.Device(id)
		if wantStatus := map[bool]string{true: StatusAvailable, false: StatusFailedActivation}[v.RollBackFailedActivation]; d.Status != wantStatus {
			t.Errorf("seed %d: after a wrong code the token is %s, want %s", seed, d.Status, wantStatus)
		}
		if err := e.srv.UpdateDevice(id, func(d *Device) { d.assignTo(e.alice.ID) }); err != nil {
			t.Fatal(err)
		}
		status, body = e.do("POST", methods(e.bob), map[string]any{"device": map[string]any{"id": id}})
		wantAnswer("assigning a token another user holds", status, body, v.AssignTaken)
		status, body = e.do("DELETE", devices+"/"+id, nil)
		wantAnswer("deleting an assigned token", status, body, v.DeleteAssigned)
		status, body = e.do("POST", methods(e.alice), map[string]any{"device": map[string]any{"id": e.create("S-2")}})
		wantAnswer("a user's token limit", status, body, v.TokenLimit)
		status, _ = e.do("POST", devices, deviceBody("S-1"))
		if wantDup := map[bool]int{true: 409, false: 201}[v.RefuseDuplicateSerial]; status != wantDup {
			t.Errorf("seed %d: a second token with serial S-1 answered %d, want %d", seed, status, wantDup)
		}
	}
}
