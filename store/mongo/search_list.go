package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	mdb "go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/nimsproject/nims/fhir"
	"github.com/nimsproject/nims/fhir/search"
)

// Sorted searches page through a materialised list (search.go): the first page finds
// and sorts every match, returns the first page of them and stores the ids of the rest,
// in order, in the searches collection. So do searches in id order under PagingList
// (the default on FerretDB). The list is cut into chunks of listChunk ids, one document
// each ({_id: "{list}/{chunk}", ids, n, created}), so that a list is never near the
// 16 MB limit of a document and a page reads one or two small ones, each by its _id.
// Lists are kept at least listTTL after they are made (the purger drops older ones); a
// cursor to a list that is gone is KindInvalid. Any replica can serve the next page: the
// list is in the database, not in memory.

const (
	listChunk = 1000
	listTTL   = time.Hour
	// maxSorted bounds the matches of a search in an order other than id's: each is
	// held in memory (reduced to its sort values, search_sort.go) while they are sorted.
	maxSorted = 100000
	// maxListed bounds the matches of a search in id order paged by a list: only their
	// ids are held (about 50 bytes each).
	maxListed = 1000000
	// keepDocs bounds the documents the first page keeps while sorting, so that a small
	// result is not read twice.
	keepDocs = 1000
)

type listDoc struct {
	ID      string   `bson:"_id"`
	IDs     []string `bson:"ids"`
	N       int64    `bson:"n"`       // the list's length
	Created int64    `bson:"created"` // wall-clock Unix ms
}

// listPage returns the page at the cursor (the first page when after is nil), the cursor
// of the next one (nil on the last), and the number of matches when paging began.
func (s *searcher) listPage(after *searchCursor, n int) ([]match, *searchCursor, int64, error) {
	if after != nil {
		page, next, err := s.listPageAt(*after, n)
		return page, next, after.total, err
	}
	ids, kept, err := s.sortedMatches()
	if err != nil {
		return nil, nil, 0, err
	}
	first := ids[:min(n, len(ids))]
	var page []match
	if kept != nil {
		for _, id := range first {
			page = append(page, kept[id])
		}
	} else if page, err = s.fetch(first); err != nil {
		return nil, nil, 0, err
	}
	total := int64(len(ids))
	if len(ids) <= n {
		return page, nil, total, nil
	}
	list, err := s.db.saveList(s, ids[n:])
	if err != nil {
		return nil, nil, 0, err
	}
	return page, &searchCursor{kind: cursorList, text: list, total: total}, total, nil
}

// sortedMatches returns the ids of every match in the query's order, and the matches
// themselves by id while there are at most keepDocs of them (nil otherwise).
func (s *searcher) sortedMatches() ([]string, map[string]match, error) {
	byID := idOrder(s.q)
	var objs []map[string]any
	var ids []string
	kept := map[string]match{}
	err := s.eachMatch(func(m match) error {
		switch {
		case byID && len(ids) == maxListed:
			return fhir.Errorf(fhir.KindInvalid, "too-costly", "",
				"more than %d resources match this search: narrow it", maxListed)
		case byID:
			ids = append(ids, m.doc.RID)
		case len(objs) == maxSorted:
			return fhir.Errorf(fhir.KindInvalid, "too-costly", "",
				"more than %d resources match this search, too many to sort: narrow it, or sort by _id", maxSorted)
		default:
			objs = append(objs, trimForSort(s.q.Sort, m.obj))
		}
		if kept != nil {
			kept[m.doc.RID] = m
			if len(kept) > keepDocs {
				kept = nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if byID {
		slices.Sort(ids) // a type's _id values are "Type/" and the id: the same order
		return ids, kept, nil
	}
	search.Sort(s.q.Sort, objs)
	ids = make([]string, len(objs))
	for i, o := range objs {
		ids[i], _ = o["id"].(string)
	}
	return ids, kept, nil
}

// listPageAt returns up to n live resources of the list from the cursor's position on,
// skipping those deleted since paging began, and the cursor after them.
func (s *searcher) listPageAt(c searchCursor, n int) ([]match, *searchCursor, error) {
	var page []match
	off := c.offset
	for len(page) < n {
		ids, more, err := s.db.readList(s, c.text, off, n-len(page))
		if err != nil {
			return nil, nil, err
		}
		got, err := s.fetch(ids)
		if err != nil {
			return nil, nil, err
		}
		page = append(page, got...)
		off += int64(len(ids))
		if !more {
			return page, nil, nil
		}
	}
	c.offset = off
	return page, &c, nil
}

// saveList stores ids as a new list and returns its id.
func (db *DB) saveList(s *searcher, ids []string) (string, error) {
	var b [16]byte
	rand.Read(b[:])
	list := hex.EncodeToString(b[:])
	now := time.Now().UnixMilli()
	docs := make([]any, 0, (len(ids)+listChunk-1)/listChunk)
	for k := 0; k*listChunk < len(ids); k++ {
		chunk := ids[k*listChunk : min((k+1)*listChunk, len(ids))]
		docs = append(docs, listDoc{ID: chunkID(list, int64(k)), IDs: chunk, N: int64(len(ids)), Created: now})
	}
	if _, err := db.searches.InsertMany(s.ctx, docs); err != nil {
		return "", err
	}
	return list, nil
}

// purgeLists drops the lists past their time.
func (db *DB) purgeLists(ctx context.Context) error {
	cutoff := time.Now().Add(-listTTL).UnixMilli()
	_, err := db.searches.DeleteMany(ctx, bson.D{{Key: "created", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	return err
}

func chunkID(list string, k int64) string { return fmt.Sprintf("%s/%08d", list, k) }

// readList returns up to n ids of the list from position off, and whether more follow.
// It reads the one or two chunks they are in by _id, the lookup every server serves
// from an index (an $in does not, on FerretDB).
func (db *DB) readList(s *searcher, list string, off int64, n int) ([]string, bool, error) {
	first, last := off/listChunk, (off+int64(n)-1)/listChunk
	var ids []string
	var total int64
	for k := first; k <= last; k++ {
		var d listDoc
		err := db.searches.FindOne(s.ctx, bson.D{{Key: "_id", Value: chunkID(list, k)}}).Decode(&d)
		switch {
		case errors.Is(err, mdb.ErrNoDocuments) && k == first:
			return nil, false, expired()
		case errors.Is(err, mdb.ErrNoDocuments):
			// past the last chunk
		case err != nil:
			return nil, false, err
		}
		if k > first && d.ID == "" {
			break
		}
		ids = append(ids, d.IDs...)
		total = d.N
	}
	start := int(off - first*listChunk)
	if start > len(ids) {
		return nil, false, expired()
	}
	ids = ids[start:min(start+n, len(ids))]
	return ids, off+int64(len(ids)) < total, nil
}

// expired is the error of a cursor whose list is gone.
func expired() error {
	return fhir.Errorf(fhir.KindInvalid, "invalid", "", "the next page of this search is no longer available (pages are kept for an hour): run the search again")
}
