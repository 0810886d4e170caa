// Package lifecycle is the hardware token lifecycle engine shared by the per-token resources and the fleet: it
// creates, adopts, updates, assigns, activates, deactivates, unassigns and deletes tokens through graph.API, and
// reads Graph's state to decide what happened whenever Graph answers a write with anything but a success.
//
// Microsoft documents neither the status nor the code of the refusals of these endpoints, nor whether a write
// answered with a 5xx or not at all was applied. So after any such answer the engine reads the token (fresh, past
// read-sharing, waiting out read-after-write lag for up to the consistency window) and decides from its status and
// holder: it adopts a write Graph applied, sends only what is missing, and otherwise returns a typed error
// (*OutcomeError, *CodeRejectedError, *SerialTakenError, *LookupError, *UnconfirmedError) that wraps Graph's last
// answer (*graph.Error: status, code, request-id), for the caller to word as a diagnostic.
//
// Every operation takes a context (its deadline bounds every wait, poll and throttling retry) and the graph.API to
// call, so one Engine serves any number of concurrent operations. Time is injected: Engine.Clock (the real clock by
// default) gives the time for codes and windows and does the waiting, and Engine.Window is the consistency window,
// so tests run without real waits. The package has no Terraform imports; it logs through Engine.Log and never logs
// or returns a seed or a verification code.
package lifecycle
