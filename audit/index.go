package audit

import (
	"bytes"
	"cmp"
	"container/heap"
	"database/sql"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
)

// The patient index. Its entries are (patient, seq) pairs, one for each patient of each
// event. They are stored in runs: a run indexes the events from seq run to seq last
// (a row of patient_runs), and its entries, sorted by patient and then seq, are cut into
// blocks of about blockEntries (rows of patient_blocks, keyed by the run and the block's
// first patient, lo). A block never splits the entries of one patient, so the one block
// of a run whose lo is the greatest at or below a patient holds all of that patient's
// entries in the run, if any.
//
// Runs cover the events from 1 without gaps or overlaps, each within one generation
// (genBits): the writer adds a run for the events since the last one every indexEvery
// events or so (writer.go), and once a generation is complete merges its runs into one.
// A search by patient then reads one block per run: one per generation, and a few for
// the newest. The events after the last run (its last is the index's watermark) are
// read by the search.
//
// A block's data is
//
//	count     uvarint, the number of entries
//	entries   for each: uvarint the length of the prefix its patient shares with the
//	          entry before (0 for the first), the rest of the patient as uvarint length ‖
//	          bytes, and uvarint seq − run
const blockEntries = 256

// genOf is the generation of event seq.
func genOf(seq int64) int64 { return seq >> genBits }

// genBounds returns the first and last event of generation g.
func genBounds(g int64) (first, last int64) {
	return max(1, g<<genBits), (g+1)<<genBits - 1
}

// indexEntry is an entry of the patient index.
type indexEntry struct {
	patient string
	seq     int64
}

// compareEntries orders entries by generation, patient and seq.
func compareEntries(a, b indexEntry) int {
	if ga, gb := genOf(a.seq), genOf(b.seq); ga != gb {
		return cmp.Compare(ga, gb)
	}
	if a.patient != b.patient {
		return strings.Compare(a.patient, b.patient)
	}
	return cmp.Compare(a.seq, b.seq)
}

// blockWriter cuts the entries of a run, added in order, into blocks of about
// blockEntries, never splitting a patient's entries, and calls emit with each block's
// lo and data (valid until emit returns).
type blockWriter struct {
	run      int64
	emit     func(lo, data []byte) error
	n        int
	entries  []byte // the encoded entries of the block so far
	lo, prev []byte
	out      []byte
}

func (bw *blockWriter) add(patient []byte, seq int64) error {
	if bw.n >= blockEntries && !bytes.Equal(patient, bw.prev) {
		if err := bw.flush(); err != nil {
			return err
		}
	}
	k := 0
	if bw.n > 0 {
		for k < len(bw.prev) && k < len(patient) && bw.prev[k] == patient[k] {
			k++
		}
	} else {
		bw.lo = append(bw.lo[:0], patient...)
	}
	bw.entries = binary.AppendUvarint(bw.entries, uint64(k))
	bw.entries = binary.AppendUvarint(bw.entries, uint64(len(patient)-k))
	bw.entries = append(bw.entries, patient[k:]...)
	bw.entries = binary.AppendUvarint(bw.entries, uint64(seq-bw.run))
	bw.prev = append(bw.prev[:0], patient...)
	bw.n++
	return nil
}

// flush emits the block so far, if any.
func (bw *blockWriter) flush() error {
	if bw.n == 0 {
		return nil
	}
	bw.out = append(binary.AppendUvarint(bw.out[:0], uint64(bw.n)), bw.entries...)
	bw.n, bw.entries = 0, bw.entries[:0]
	return bw.emit(bw.lo, bw.out)
}

// blockReader reads the entries of a block. It does not check their order (Verify
// does).
type blockReader struct {
	p       bodyParser
	run     int64
	left    uint64
	patient []byte // the current entry's; overwritten by next
	seq     int64
}

func newBlockReader(data []byte, run int64) *blockReader {
	r := &blockReader{p: bodyParser{b: data}, run: run}
	r.left = r.p.uvarint()
	return r
}

// next reads the next entry; it returns false at the end or at malformed data (bad).
func (r *blockReader) next() bool {
	if r.left == 0 || r.p.bad {
		return false
	}
	r.left--
	k := r.p.uvarint()
	rest := r.p.string()
	d := r.p.uvarint()
	if r.p.bad || k > uint64(len(r.patient)) || d > 1<<62 {
		r.p.bad = true
		return false
	}
	r.patient = append(r.patient[:k], rest...)
	r.seq = r.run + int64(d)
	return true
}

// bad reports whether the block is malformed: undecodable, or with bytes left over
// once its entries are read.
func (r *blockReader) bad() bool { return r.p.bad || (r.left == 0 && len(r.p.b) > 0) }

// errIndexMoved fails a flush when the index's watermark in the file is not the one
// this writer holds: another process has indexed meanwhile. commitBatch reloads and the
// batch is retried.
var errIndexMoved = errors.New("the patient index was extended by another writer")

// flushPending writes the pending entries to the patient index as runs, one per
// generation they fall in, and merges a generation's runs once it is complete. The
// caller has begun the transaction; pending is cleared once it commits.
func (w *writer) flushPending(seq int64) error {
	var through int64
	if err := w.getThrough.QueryRow().Scan(&through); err != nil {
		return err
	}
	if through != w.through {
		return errIndexMoved
	}
	w.sortPending()
	rest := w.sorted
	for g := genOf(through + 1); g <= genOf(seq); g++ {
		gfirst, glast := genBounds(g)
		run, last := max(through+1, gfirst), min(seq, glast)
		for len(rest) > 0 && rest[0].seq < run { // none: pending holds the events after through
			rest = rest[1:]
		}
		n := 0
		for n < len(rest) && rest[n].seq <= last {
			n++
		}
		if err := w.writeRun(run, last, rest[:n]); err != nil {
			return err
		}
		rest = rest[n:]
		if last == glast && run > gfirst {
			if err := w.mergeGen(g); err != nil {
				return err
			}
		}
	}
	return nil
}

// sortPending sets w.sorted to the pending entries in the order of compareEntries.
// Comparing patients that share a long prefix ("Patient/9000…") was most of the cost
// of the sort, so each entry is first compared by the 8 bytes after the prefix that all
// the patients share, as a number (zero-padded: a tie falls back to the strings).
func (w *writer) sortPending() {
	lcp := 0
	if len(w.pending) > 0 {
		lcp = len(w.pending[0].patient)
		for _, e := range w.pending[1:] {
			lcp = min(lcp, len(e.patient))
			for i := range lcp {
				if e.patient[i] != w.pending[0].patient[i] {
					lcp = i
					break
				}
			}
		}
	}
	w.keyed = w.keyed[:0]
	for _, e := range w.pending {
		var b [8]byte
		copy(b[:], e.patient[lcp:])
		w.keyed = append(w.keyed, keyedEntry{binary.BigEndian.Uint64(b[:]), e})
	}
	slices.SortFunc(w.keyed, func(a, b keyedEntry) int {
		if ga, gb := genOf(a.seq), genOf(b.seq); ga != gb {
			return cmp.Compare(ga, gb)
		}
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return compareEntries(a.indexEntry, b.indexEntry)
	})
	clear(w.sorted)
	w.sorted = w.sorted[:0]
	for _, k := range w.keyed {
		w.sorted = append(w.sorted, k.indexEntry)
	}
	clear(w.keyed)
}

type keyedEntry struct {
	key uint64
	indexEntry
}

// writeRun writes the run of events run..last with its entries, sorted.
func (w *writer) writeRun(run, last int64, entries []indexEntry) error {
	bw, err := w.startRun(run, last)
	if err != nil {
		return err
	}
	for _, e := range entries {
		w.key = append(w.key[:0], e.patient...)
		if err := bw.add(w.key, e.seq); err != nil {
			return err
		}
	}
	return bw.flush()
}

// startRun stores the run of events run..last and returns the writer of its blocks.
func (w *writer) startRun(run, last int64) (*blockWriter, error) {
	if _, err := w.delBlocks.Exec(run, run); err != nil { // none, unless someone put them there
		return nil, err
	}
	if _, err := w.insRun.Exec(run, last); err != nil {
		return nil, err
	}
	w.bw = blockWriter{run: run, emit: w.emitBlock, entries: w.bw.entries[:0], lo: w.bw.lo, prev: w.bw.prev, out: w.bw.out}
	return &w.bw, nil
}

func (w *writer) emitBlock(lo, data []byte) error {
	_, err := w.insBlock.Exec(w.bw.run, string(lo), data)
	return err
}

// mergeGen replaces the runs of generation g, complete, by one: a merge of the runs'
// entries, each run being sorted.
func (w *writer) mergeGen(g int64) error {
	first, last := genBounds(g)
	rows, err := w.genBlocks.Query(first, last)
	if err != nil {
		return err
	}
	var runs []*runReader // in run order; each run's blocks in lo order
	for rows.Next() {
		var (
			run  int64
			data []byte
		)
		if err := rows.Scan(&run, &data); err != nil {
			rows.Close()
			return err
		}
		if len(runs) == 0 || runs[len(runs)-1].run != run {
			runs = append(runs, &runReader{run: run})
		}
		r := runs[len(runs)-1]
		r.blocks = append(r.blocks, data)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := w.delBlocks.Exec(first, last); err != nil {
		return err
	}
	if _, err := w.delRuns.Exec(first, last); err != nil {
		return err
	}
	bw, err := w.startRun(first, last)
	if err != nil {
		return err
	}
	h := runHeap(runs[:0])
	for _, r := range runs {
		if r.next() {
			h = append(h, r)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		r := h[0]
		if err := bw.add(r.cur.patient, r.cur.seq); err != nil {
			return err
		}
		if r.next() {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return bw.flush()
}

// runHeap orders the runs being merged by their current entry.
type runHeap []*runReader

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	a, b := h[i].cur, h[j].cur
	c := bytes.Compare(a.patient, b.patient)
	return c < 0 || (c == 0 && a.seq < b.seq)
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}

// runReader reads the entries of a run in order, block after block.
type runReader struct {
	run    int64
	blocks [][]byte
	cur    *blockReader
}

func (r *runReader) next() bool {
	for {
		if r.cur != nil && r.cur.next() {
			return true
		}
		if len(r.blocks) == 0 {
			return false
		}
		r.cur, r.blocks = newBlockReader(r.blocks[0], r.run), r.blocks[1:]
	}
}

// indexStatements are the writer's statements of the patient index.
func (w *writer) indexStatements() []struct {
	stmt **sql.Stmt
	sql  string
} {
	return []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.getThrough, "SELECT coalesce(max(last), 0) FROM patient_runs"},
		{&w.insRun, "INSERT OR REPLACE INTO patient_runs (run, last) VALUES (?, ?)"},
		{&w.insBlock, "INSERT INTO patient_blocks (run, lo, data) VALUES (?, ?, ?)"},
		{&w.delBlocks, "DELETE FROM patient_blocks WHERE run >= ? AND run <= ?"},
		{&w.delRuns, "DELETE FROM patient_runs WHERE run >= ? AND run <= ?"},
		{&w.genBlocks, "SELECT run, data FROM patient_blocks WHERE run >= ? AND run <= ? ORDER BY run, lo"},
	}
}
