package notifytest

import (
	"context"
	"sync"

	"github.com/scamscreen/scamscreen/notify"
)

// MemStore is an in-memory notify.RecordStore with revisions. It is safe
// for concurrent use.
type MemStore struct {
	mu   sync.Mutex
	recs map[string]memRec
	rev  uint64
}

type memRec struct {
	r   notify.Record
	rev uint64
}

var _ notify.RecordStore = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{recs: map[string]memRec{}} }

// GetRecord implements notify.RecordStore.
func (m *MemStore) GetRecord(_ context.Context, id string) (notify.Record, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[id]
	if !ok {
		return notify.Record{}, 0, notify.ErrNoRecord
	}
	return r.r, r.rev, nil
}

// CreateRecord implements notify.RecordStore.
func (m *MemStore) CreateRecord(_ context.Context, id string, r notify.Record) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.recs[id]; ok {
		return 0, notify.ErrRecordExists
	}
	m.rev++
	m.recs[id] = memRec{r, m.rev}
	return m.rev, nil
}

// UpdateRecord implements notify.RecordStore.
func (m *MemStore) UpdateRecord(_ context.Context, id string, r notify.Record, rev uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.recs[id]
	if !ok || cur.rev != rev {
		return 0, notify.ErrRecordConflict
	}
	m.rev++
	m.recs[id] = memRec{r, m.rev}
	return m.rev, nil
}

// Put stores r unconditionally (tests set up crash states with it).
func (m *MemStore) Put(id string, r notify.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rev++
	m.recs[id] = memRec{r, m.rev}
}

// Len is the number of records.
func (m *MemStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recs)
}
