package graph_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

func TestPolicy(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, startEmulator(t, emulator.Options{}), 0)

	initial, err := h.client.GetPolicy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if initial.State != "disabled" || len(initial.IncludeTargets) == 0 {
		t.Fatalf("default policy = %+v", initial)
	}

	want := graph.Policy{
		ID:    initial.ID,
		State: "enabled",
		IncludeTargets: []graph.PolicyTarget{
			{ID: "11111111-1111-4111-8111-111111111111", TargetType: "group", IsRegistrationRequired: true},
			{ID: "22222222-2222-4222-8222-222222222222", TargetType: "group"},
		},
		ExcludeTargets: []graph.PolicyTarget{{ID: "33333333-3333-4333-8333-333333333333", TargetType: "group"}},
	}
	if err := h.client.UpdatePolicy(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := h.client.GetPolicy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("after update: %+v, want %+v", got, want)
	}

	if err := h.client.ResetPolicy(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = h.client.GetPolicy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, initial) {
		t.Fatalf("after reset: %+v, want %+v", got, initial)
	}
}
