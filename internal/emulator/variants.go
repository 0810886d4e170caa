package emulator

import (
	"fmt"
	"math/rand/v2"
	"net/http"
)

// Answer is an error status and code the emulator gives for a case Microsoft does not document.
type Answer struct {
	Status int
	Code   string
}

// Variants choose how the emulator answers where Microsoft's documentation is silent. Every field is a GUESS: no
// Microsoft page, SDK or public script shows what Graph does. The zero value keeps the emulator's historic answers.
// Tests run the provider against several variants (VariantsFromSeed) so that it cannot come to depend on one guess.
type Variants struct {
	// WrongCode answers an activation (activate, assignAndActivate) whose verification code is wrong.
	// GUESS; default 400 invalidVerificationCode.
	WrongCode Answer
	// DeleteAssigned answers DELETE of a device that is assigned to a user. GUESS; default 400 invalidRequest.
	DeleteAssigned Answer
	// AssignTaken answers assigning (or assign-and-activating) a device that another user holds.
	// GUESS; default 409 conflict.
	AssignTaken Answer
	// TokenLimit answers assigning a device to a user who holds MaxTokensPerUser already.
	// GUESS; default 400 quotaLimitReached.
	TokenLimit Answer
	// RollBackFailedActivation: assignAndActivate with a wrong code leaves the device unassigned (available), as if
	// nothing happened. GUESS; default false: the device stays assigned with status failedActivation.
	RollBackFailedActivation bool
	// RefuseDuplicateSerial: creating a device with a serial number another device has is refused with 409
	// conflict. GUESS; default false: Graph accepts duplicates (no documentation says it refuses them).
	RefuseDuplicateSerial bool
}

// The answers each guessed case is drawn from: statuses and generic codes Graph uses elsewhere (graph-api.md §7.1).
var (
	wrongCodeAnswers = []Answer{
		{http.StatusBadRequest, "invalidVerificationCode"}, {http.StatusBadRequest, "badRequest"},
		{http.StatusBadRequest, "invalidRequest"}, {http.StatusForbidden, "accessDenied"},
		{http.StatusConflict, "conflict"}, {http.StatusUnprocessableEntity, "unprocessableEntity"},
	}
	deleteAssignedAnswers = []Answer{
		{http.StatusBadRequest, "invalidRequest"}, {http.StatusBadRequest, "badRequest"},
		{http.StatusForbidden, "accessDenied"}, {http.StatusConflict, "conflict"},
		{http.StatusUnprocessableEntity, "unprocessableEntity"},
	}
	assignTakenAnswers = []Answer{
		{http.StatusConflict, "conflict"}, {http.StatusBadRequest, "badRequest"},
		{http.StatusBadRequest, "invalidRequest"}, {http.StatusForbidden, "accessDenied"},
		{http.StatusUnprocessableEntity, "unprocessableEntity"},
	}
	tokenLimitAnswers = []Answer{
		{http.StatusBadRequest, "quotaLimitReached"}, {http.StatusBadRequest, "badRequest"},
		{http.StatusForbidden, "accessDenied"}, {http.StatusConflict, "conflict"},
		{http.StatusUnprocessableEntity, "unprocessableEntity"},
	}
)

// VariantsFromSeed draws one answer for every guessed case, deterministically from seed.
func VariantsFromSeed(seed uint64) Variants {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	pick := func(answers []Answer) Answer { return answers[r.IntN(len(answers))] }
	return Variants{
		WrongCode:                pick(wrongCodeAnswers),
		DeleteAssigned:           pick(deleteAssignedAnswers),
		AssignTaken:              pick(assignTakenAnswers),
		TokenLimit:               pick(tokenLimitAnswers),
		RollBackFailedActivation: r.IntN(2) == 1,
		RefuseDuplicateSerial:    r.IntN(2) == 1,
	}
}

// Guess is one behaviour the emulator models without Microsoft documenting it, and how a Variants answers it.
type Guess struct {
	Name     string
	Variants int // how many answers the emulator can give
	Of       func(Variants) string
}

// Guesses lists every guessed behaviour that Variants covers, for the test that checks each is exercised both ways.
func Guesses() []Guess {
	answer := func(a Answer) string { return fmt.Sprintf("%d %s", a.Status, a.Code) }
	return []Guess{
		{"wrong verification code", len(wrongCodeAnswers), func(v Variants) string { return answer(v.WrongCode) }},
		{"delete of an assigned token", len(deleteAssignedAnswers), func(v Variants) string { return answer(v.DeleteAssigned) }},
		{"assigning a token another user holds", len(assignTakenAnswers), func(v Variants) string { return answer(v.AssignTaken) }},
		{"a user's token limit", len(tokenLimitAnswers), func(v Variants) string { return answer(v.TokenLimit) }},
		{"assignAndActivate with a wrong code rolls back", 2, func(v Variants) string { return fmt.Sprint(v.RollBackFailedActivation) }},
		{"a second token with an existing serial number is refused", 2, func(v Variants) string { return fmt.Sprint(v.RefuseDuplicateSerial) }},
	}
}

// SetVariants replaces the answers to undocumented cases from now on.
func (s *Server) SetVariants(v Variants) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.variants = withDefaultAnswers(v)
}

func withDefaultAnswers(v Variants) Variants {
	setDefault(&v.WrongCode, wrongCodeAnswers[0])
	setDefault(&v.DeleteAssigned, deleteAssignedAnswers[0])
	setDefault(&v.AssignTaken, assignTakenAnswers[0])
	setDefault(&v.TokenLimit, tokenLimitAnswers[0])
	return v
}

// refuse is the error for a guessed case: the variant's status and code with the emulator's message.
func refuse(a Answer, format string, args ...any) *apiError {
	return newError(a.Status, a.Code, format, args...)
}

// Variants returns the answers to undocumented cases in force.
func (s *Server) Variants() Variants {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.variants
}
