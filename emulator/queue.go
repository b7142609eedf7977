package emulator

import (
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// queue is one SQS queue. All of its state is guarded by mu; different
// queues never share a lock, so traffic on one does not slow another.
//
// Standard queues keep visible messages in ready (arrival order). FIFO queues
// keep every message in its group's list and the groups that can be served
// in avail. Both keep delayed and in-flight messages in timed, a heap on the
// time they become visible; nothing runs in the background: every operation
// first promotes what has become visible by now.
type queue struct {
	name string
	arn  string
	fifo bool

	mu        sync.Mutex
	deleted   bool
	cfg       queueConfig
	created   int64 // unix seconds
	modified  int64 // unix seconds
	lastPurge int64 // unix nanoseconds, 0 when never purged
	tags      map[string]string

	msgs      map[msgID]*message // every message the queue holds
	ready     deque[*message]    // standard queues: visible messages (may hold deleted ones, skipped)
	timed     timedHeap          // delayed and in-flight messages
	groups    map[string]*group  // FIFO queues: message groups by id
	avail     deque[*group]      // FIFO queues: groups whose head can be received now
	nInflight int
	nDelayed  int

	dedup    map[string]dedupEntry // FIFO queues: deduplication ids seen in the last 5 minutes
	dedupLog deque[dedupKey]       // the same, in order of expiry
	seq      uint64                // FIFO queues: last sequence number

	wake chan struct{} // closed when a message may have become receivable; nil when nobody waits
}

// group is one FIFO message group: its messages in order. While any of them
// is in flight the group is locked and none of its messages is received.
type group struct {
	id       string
	msgs     deque[*message]
	inflight int
	inAvail  bool
}

type dedupEntry struct {
	expires int64
	id      msgID
	seq     uint64
}

type dedupKey struct {
	key     string
	expires int64
}

const (
	dedupInterval    = 5 * time.Minute
	maxVisibility    = 12 * time.Hour
	purgeInterval    = 60 * time.Second
	fifoSequenceBase = 10_000_000_000_000_000_000 // so sequence numbers have 20 digits, like AWS's
)

func newQueue(name, arn string, fifo bool, cfg queueConfig, tags map[string]string, now time.Time) *queue {
	q := &queue{
		name:     name,
		arn:      arn,
		fifo:     fifo,
		cfg:      cfg,
		created:  now.Unix(),
		modified: now.Unix(),
		tags:     tags,
		msgs:     make(map[msgID]*message),
		seq:      fifoSequenceBase,
	}
	if fifo {
		q.groups = make(map[string]*group)
		q.dedup = make(map[string]dedupEntry)
	}
	return q
}

// notify wakes every long poll waiting on the queue.
func (q *queue) notify() {
	if q.wake != nil {
		close(q.wake)
		q.wake = nil
	}
}

func (q *queue) waitChan() <-chan struct{} {
	if q.wake == nil {
		q.wake = make(chan struct{})
	}
	return q.wake
}

// sendResult is what SendMessage reports for one message.
type sendResult struct {
	id        msgID
	seq       uint64 // FIFO only
	duplicate bool   // FIFO only: an earlier message had the same deduplication id
}

// pending is one validated message waiting to be stored by send.
type pending struct {
	m     *message
	delay time.Duration
}

// send stores the messages (or, for FIFO duplicates, drops them) and
// reports their ids, in order. The caller has validated them and set their
// ids, bodies, attributes and sent times.
func (q *queue) send(batch []pending, now int64) ([]sendResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, errQueueDoesNotExist()
	}
	res := make([]sendResult, len(batch))
	if q.fifo {
		q.trimDedup(now)
	}
	for i, p := range batch {
		m := p.m
		if q.fifo {
			key := m.ext.dedupID
			if q.cfg.dedupScope == "messageGroup" {
				key = m.ext.group + "\x00" + key
			}
			if e, ok := q.dedup[key]; ok {
				res[i] = sendResult{id: e.id, seq: e.seq, duplicate: true}
				continue
			}
			q.seq++
			m.ext.seq = q.seq
			exp := now + int64(dedupInterval)
			q.dedup[key] = dedupEntry{expires: exp, id: m.id, seq: q.seq}
			q.dedupLog.pushBack(dedupKey{key: key, expires: exp})
		}
		q.insert(m, p.delay, now)
		res[i] = sendResult{id: m.id, seq: q.seq}
	}
	q.notify()
	return res, nil
}

// insert adds a new message, delayed or ready. The queue lock is held.
func (q *queue) insert(m *message, delay time.Duration, now int64) {
	q.msgs[m.id] = m
	m.heapIdx = -1
	if delay > 0 {
		m.state = stateDelayed
		m.visibleAt = now + int64(delay)
		q.timed.push(m)
		q.nDelayed++
	} else {
		m.state = stateReady
	}
	if !q.fifo {
		if m.state == stateReady {
			q.ready.pushBack(m)
		}
		return
	}
	g := q.groups[m.ext.group]
	if g == nil {
		g = &group{id: m.ext.group}
		q.groups[g.id] = g
	}
	g.msgs.pushBack(m)
	q.refresh(g)
}

func (q *queue) trimDedup(now int64) {
	for q.dedupLog.len() > 0 && q.dedupLog.front().expires <= now {
		k := q.dedupLog.popFront()
		if e, ok := q.dedup[k.key]; ok && e.expires == k.expires {
			delete(q.dedup, k.key)
		}
	}
}

// refresh puts g in the list of groups that can be served if its first
// message is receivable and none of its messages is in flight.
func (q *queue) refresh(g *group) {
	for g.msgs.len() > 0 && g.msgs.front().state == stateDeleted {
		g.msgs.popFront()
	}
	if g.msgs.len() == 0 {
		if g.inflight == 0 && !g.inAvail {
			delete(q.groups, g.id)
		}
		return
	}
	if !g.inAvail && g.inflight == 0 && g.msgs.front().state == stateReady {
		g.inAvail = true
		q.avail.pushBack(g)
	}
}

// promote makes visible every delayed or in-flight message whose time has come.
func (q *queue) promote(now int64) {
	for {
		m := q.timed.peek()
		if m == nil || m.visibleAt > now {
			return
		}
		q.timed.remove(m)
		q.becomeReady(m)
	}
}

// becomeReady moves a message out of the timed heap's states into ready.
func (q *queue) becomeReady(m *message) {
	switch m.state {
	case stateDelayed:
		q.nDelayed--
	case stateInflight:
		q.nInflight--
	}
	was := m.state
	m.state = stateReady
	if !q.fifo {
		q.ready.pushBack(m)
		return
	}
	g := m.ext.grp(q)
	if was == stateInflight {
		g.inflight--
	}
	q.refresh(g)
}

// grp finds the group of a FIFO message.
func (e *msgExt) grp(q *queue) *group { return q.groups[e.group] }

// remove takes m out of the queue for good. The queue lock is held. For a
// FIFO message the caller refreshes its group afterwards (receive does so
// once it has finished walking the group).
func (q *queue) remove(m *message) {
	switch m.state {
	case stateDeleted:
		return
	case stateDelayed:
		q.timed.remove(m)
		q.nDelayed--
	case stateInflight:
		q.timed.remove(m)
		q.nInflight--
		if q.fifo {
			m.ext.grp(q).inflight--
		}
	}
	m.state = stateDeleted
	delete(q.msgs, m.id)
}

// received is one message handed out by receive, with the per-receive
// fields copied while the queue lock was held.
type received struct {
	m         *message
	receipt   string
	recvCount int32
	firstRecv int64
}

// receiveResult is what one receive attempt produced.
type receiveResult struct {
	msgs  []received
	moved []*message      // messages past maxReceiveCount, for the dead-letter queue
	dlq   *queue          // the dead-letter queue, if the queue has one
	wake  <-chan struct{} // when nothing was received: closed when that may change
	next  int64           // when nothing was received: when a message becomes visible, 0 if none is pending
}

// receive takes up to n receivable messages, making them invisible for vis.
// Messages received maxReceiveCount times already go to the dead-letter
// queue instead (found with lookup; the caller hands them over once the
// lock is released, see accept).
func (q *queue) receive(n int, vis time.Duration, now int64, lookup func(name string) *queue) (receiveResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return receiveResult{}, errQueueDoesNotExist()
	}
	q.promote(now)
	var res receiveResult
	maxReceive := 0
	if rp := q.cfg.redrive; rp != nil {
		if res.dlq = lookup(rp.targetName); res.dlq != nil && res.dlq != q {
			maxReceive = rp.maxReceive
		}
	}
	retention := int64(q.cfg.retention)
	take := func(m *message) bool {
		if now-m.sent >= retention {
			q.remove(m)
			return false
		}
		if maxReceive > 0 && int(m.recvCount) >= maxReceive {
			res.moved = append(res.moved, m)
			q.remove(m)
			return false
		}
		m.recvCount++
		if m.firstRecv == 0 {
			m.firstRecv = now
		}
		m.recvAt = now
		m.receipt = rand.Uint32()
		m.state = stateInflight
		m.visibleAt = now + int64(vis)
		q.timed.push(m)
		q.nInflight++
		res.msgs = append(res.msgs, received{m: m, receipt: encodeReceipt(m.id, m.receipt), recvCount: m.recvCount, firstRecv: m.firstRecv})
		return true
	}
	if !q.fifo {
		for len(res.msgs) < n && q.ready.len() > 0 {
			m := q.ready.popFront()
			if m.state != stateReady {
				continue
			}
			take(m)
		}
	} else {
		var touched []*group
		for len(res.msgs) < n && q.avail.len() > 0 {
			g := q.avail.popFront()
			g.inAvail = false
			touched = append(touched, g)
			if g.inflight > 0 {
				continue
			}
			for i := 0; i < g.msgs.len() && len(res.msgs) < n; i++ {
				m := g.msgs.at(i)
				if m.state == stateDeleted {
					continue
				}
				if m.state != stateReady {
					break
				}
				if take(m) {
					g.inflight++
				}
			}
		}
		for _, g := range touched {
			q.refresh(g)
		}
	}
	if len(res.msgs) == 0 {
		res.wake = q.waitChan()
		if m := q.timed.peek(); m != nil {
			res.next = m.visibleAt
		}
	}
	return res, nil
}

// accept adds messages moved from a source queue after too many receives.
func (q *queue) accept(moved []*message, sourceARN string, now int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	for _, old := range moved {
		m := &message{id: old.id, md5Body: old.md5Body, body: old.body, attrs: old.attrs,
			sent: old.sent, firstRecv: old.firstRecv, recvCount: old.recvCount}
		ext := msgExt{dlqSource: sourceARN}
		if old.ext != nil {
			ext.group, ext.dedupID, ext.trace = old.ext.group, old.ext.dedupID, old.ext.trace
		}
		m.ext = &ext
		if q.fifo {
			if ext.group == "" { // only FIFO sources feed FIFO dead-letter queues, but be safe
				ext.group = "default"
			}
			q.seq++
			ext.seq = q.seq
		}
		if _, dup := q.msgs[m.id]; dup {
			continue
		}
		q.insert(m, 0, now)
	}
	q.notify()
}

// lookup finds the message a receipt handle names.
func (q *queue) lookup(receipt string) (*message, uint32, error) {
	id, nonce, ok := decodeReceipt(receipt)
	if !ok {
		return nil, 0, errReceiptHandleIsInvalid("The input receipt handle \"%s\" is not a valid receipt handle.", receipt)
	}
	return q.msgs[id], nonce, nil
}

// deleteLocked deletes the message a receipt handle names. Deleting a
// message that is already gone succeeds, as on AWS. The queue lock is held.
func (q *queue) deleteLocked(receipt string) error {
	if q.deleted {
		return errQueueDoesNotExist()
	}
	m, nonce, err := q.lookup(receipt)
	if err != nil || m == nil {
		return err
	}
	// A FIFO receipt handle expires with its visibility timeout: once the
	// message has been received again, only the new handle deletes it
	// (AWS documents "the receipt handle has expired" for FIFO queues).
	if q.fifo && nonce != m.receipt && m.state == stateInflight {
		return errReceiptHandleIsInvalid("The receipt handle has expired.")
	}
	q.remove(m)
	if q.fifo {
		q.refresh(m.ext.grp(q))
	}
	return nil
}

// changeVisibility sets the visibility timeout of an in-flight message.
func (q *queue) changeVisibility(receipt string, timeout time.Duration, now int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return errQueueDoesNotExist()
	}
	q.promote(now)
	m, _, err := q.lookup(receipt)
	if err != nil {
		return err
	}
	if m == nil {
		return errInvalidParameterValue("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", receipt)
	}
	if m.state != stateInflight {
		return errMessageNotInflight()
	}
	at := now + int64(timeout)
	if at-m.recvAt > int64(maxVisibility) {
		return errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]", int64(timeout/time.Second))
	}
	m.visibleAt = at
	q.timed.fix(m)
	if timeout == 0 {
		q.timed.remove(m)
		q.becomeReady(m)
	}
	q.notify()
	return nil
}

// purge deletes every message; AWS allows one purge a minute per queue.
func (q *queue) purge(now int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return errQueueDoesNotExist()
	}
	if q.lastPurge != 0 && now-q.lastPurge < int64(purgeInterval) {
		return errPurgeQueueInProgress(q.arn)
	}
	q.lastPurge = now
	for _, m := range q.msgs {
		m.state = stateDeleted
		m.heapIdx = -1
	}
	q.msgs = make(map[msgID]*message)
	q.ready.clear()
	q.timed = nil
	q.avail.clear()
	if q.fifo {
		q.groups = make(map[string]*group)
	}
	q.nInflight, q.nDelayed = 0, 0
	return nil
}

// counts reports the approximate numbers of visible, in-flight and delayed messages.
func (q *queue) counts(now int64) (visible, inflight, delayed int) {
	q.promote(now)
	q.expireFront(now)
	return len(q.msgs) - q.nInflight - q.nDelayed, q.nInflight, q.nDelayed
}

// expireFront drops messages past the retention period from the front of a
// standard queue; receive drops the others as it meets them.
func (q *queue) expireFront(now int64) {
	if q.fifo {
		return
	}
	retention := int64(q.cfg.retention)
	for q.ready.len() > 0 {
		m := q.ready.front()
		if m.state == stateReady && now-m.sent < retention {
			return
		}
		q.ready.popFront()
		q.remove(m)
	}
}

// close marks the queue deleted and wakes its long polls.
func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.deleted = true
	q.notify()
}

// Receipt handles carry the message id and the nonce of the receive that
// produced them, URL-safe base64 encoded.
func encodeReceipt(id msgID, nonce uint32) string {
	var b [20]byte
	copy(b[:16], id[:])
	binary.BigEndian.PutUint32(b[16:], nonce)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeReceipt(s string) (msgID, uint32, bool) {
	var id msgID
	if base64.RawURLEncoding.DecodedLen(len(s)) != 20 {
		return id, 0, false
	}
	var b [20]byte
	if _, err := base64.RawURLEncoding.Decode(b[:], []byte(s)); err != nil {
		return id, 0, false
	}
	copy(id[:], b[:16])
	return id, binary.BigEndian.Uint32(b[16:]), true
}

func formatSeq(seq uint64) string { return strconv.FormatUint(seq, 10) }
