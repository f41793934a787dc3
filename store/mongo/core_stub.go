package mongo

import (
	"context"

	"github.com/nimsproject/nims/store"
)

// Temporary: the write path and reads are being written (write.go, read.go).

func (db *DB) Apply(ctx context.Context, op store.Op) (store.Result, error) {
	return store.Result{}, notYet()
}
func (db *DB) Read(ctx context.Context, typ, id string) (store.Record, error) {
	return store.Record{}, notYet()
}
func (db *DB) VRead(ctx context.Context, typ, id string, version int64) (store.Record, error) {
	return store.Record{}, notYet()
}
func (db *DB) History(ctx context.Context, q store.HistoryQuery) (store.HistoryPage, error) {
	return store.HistoryPage{}, notYet()
}
func (db *DB) Transaction(ctx context.Context, ops []store.Op) ([]store.Result, error) {
	return nil, notYet()
}
func (db *DB) Reindex(ctx context.Context, typ string, progress func(done int)) error {
	return notYet()
}
func (db *DB) Changes(ctx context.Context, afterSeq int64, limit int) ([]store.Record, error) {
	return nil, notYet()
}
