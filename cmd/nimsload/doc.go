// Command nimsload is the HTTP load generator behind docs/BENCHMARKS.md. It drives a
// running NIMS (or its bare baseline: a gin handler answering a fixed FHIR body, which
// `nimsload bare` serves) at a fixed concurrency and reports throughput and latency
// percentiles. It is a development tool, not part of the service.
package main
