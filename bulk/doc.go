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
package bulk
