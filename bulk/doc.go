// Package bulk loads and (later) exports data in bulk: FHIR NDJSON files, one resource
// per line, as the FHIR Bulk Data specification writes them.
//
// Import streams each file (memory does not grow with its size), decodes and validates
// lines on every core, and writes them in batches through store.Transaction, so that a
// batch's conditional references (Location?identifier=…) are resolved in the same
// database transaction. Every resource is an upsert by its id that skips writing when
// nothing changed (store.Op.SkipUnchanged); with the progress checkpointed after every
// committed batch, an import killed mid-file and started again resumes where it was and
// ends with exactly the records of the file: the lines replayed since the checkpoint
// change nothing. A bad line is reported with its line number while the good ones load.
//
// Runner does the same as a stored job (store.Jobs), the asynchronous $import of the API:
// it leases a job, renews the lease while it works, fetches URL inputs from the
// configured Sources only, keeps the checkpoints in the job's directory so that a runner
// taking a dead one's job over resumes it, and ends the job with its report.
//
// It imports fhir and store of this project (never api, auth or gin); net/http only as
// a client, to fetch inputs from the operator's sources.
package bulk
