package emulator

// timedHeap is a min-heap of messages ordered by the time they become
// visible: delayed messages and messages in flight. Each message records its
// index so it can be removed or re-positioned in O(log n).
type timedHeap []*message

func (h timedHeap) less(i, j int) bool { return h[i].visibleAt < h[j].visibleAt }

func (h timedHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = int32(i)
	h[j].heapIdx = int32(j)
}

func (h *timedHeap) push(m *message) {
	m.heapIdx = int32(len(*h))
	*h = append(*h, m)
	h.up(len(*h) - 1)
}

func (h *timedHeap) peek() *message {
	if len(*h) == 0 {
		return nil
	}
	return (*h)[0]
}

func (h *timedHeap) remove(m *message) {
	i := int(m.heapIdx)
	n := len(*h) - 1
	if i != n {
		h.swap(i, n)
	}
	(*h)[n] = nil
	*h = (*h)[:n]
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
	m.heapIdx = -1
}

// fix re-establishes the order after m.visibleAt changed.
func (h *timedHeap) fix(m *message) {
	i := int(m.heapIdx)
	if !h.down(i) {
		h.up(i)
	}
}

func (h timedHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h timedHeap) down(i0 int) bool {
	i, n := i0, len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
