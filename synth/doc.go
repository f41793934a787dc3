// Package synth makes a synthetic England: NHS regions, integrated care boards and GP
// practices; registered people with NHS numbers, ages, sexes, ethnicity and addresses in
// the proportions of the real population; their priority-group Flags; and the
// vaccinations they would have had by a reference date. It is what `nims seed` loads, so
// that the programme's cohorts, counts and searches can be tried at national scale
// without a single real record.
//
// The same Config always gives the same bytes: every person is drawn from a random
// stream seeded by (Config.Seed, person number) alone, so the output does not depend on
// how many goroutines made it. Every proportion and its source is in docs/SEED.md.
//
// synth imports only fhir (for identifier systems and code constants) and the standard
// library: loading what it makes into a store is its caller's job.
package synth
