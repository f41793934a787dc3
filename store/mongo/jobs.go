package mongo

import (
	"context"
	"time"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/store"
)

func notYet() error {
	return fhir.Errorf(fhir.KindNotImplemented, "not-supported", "", "jobs are not built yet on MongoDB")
}

func (db *DB) CreateJob(ctx context.Context, j store.Job) (store.Job, error) {
	return store.Job{}, notYet()
}
func (db *DB) ClaimJob(ctx context.Context, kinds []string, owner string, lease time.Duration) (store.Job, bool, error) {
	return store.Job{}, false, notYet()
}
func (db *DB) UpdateJob(ctx context.Context, j store.Job) (store.Job, error) {
	return store.Job{}, notYet()
}
func (db *DB) GetJob(ctx context.Context, id string) (store.Job, error) { return store.Job{}, notYet() }
func (db *DB) DeleteJob(ctx context.Context, id string) error           { return notYet() }
