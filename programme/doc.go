// Package programme is the immunisation programme's own logic over the store: the
// nightly demographic feed (who is registered, where, with which practice, alive or
// not, restricted or not, under which NHS number), priority-group lists kept as Flags,
// and ethnicity from GP feeds. Later: cohorts, invitations, reminders, status, progress.
//
// Every change is an ordinary store write (a new version, in the change log, audited by
// the caller), made only when something differs, so a feed or list sent twice changes
// nothing the second time. Reads and writes of one person are joined by If-Match: a
// change made meanwhile by someone else is re-read and merged, never overwritten.
package programme
