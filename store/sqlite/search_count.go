package sqlite

// count returns the number of matches. A single pred whose set holds live resources only
// is counted on its index alone, without touching resources.
func (s *searcher) count() (int64, error) {
	if s.none {
		return 0, nil
	}
	if len(s.preds) == 1 && s.preds[0].live() {
		p := s.preds[0]
		unique := p.kind == predIDs || (len(p.terms) == 1 && p.terms[0].unique)
		if set, ok := p.set(!unique); ok {
			return queryInt(s.ctx, s.run, (&sqlBuf{}).add("SELECT count(*) FROM (").part(set).add(")").done())
		}
	}
	driver, _, err := s.pl.driver()
	if err != nil {
		return 0, err
	}
	q := (&sqlBuf{}).add("SELECT count(*) FROM resources r WHERE ").part(s.where(driver, 0).done())
	if driver != nil {
		set, _ := driver.set(false)
		q.add(" AND r.id IN (").part(set).add(")")
	}
	return queryInt(s.ctx, s.run, q.done())
}
